import { formatSourceError } from '../../../policies/index.ts';
import type { Close } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import { watchFile } from '../watch-file.ts';
import { loadConfig } from './load.ts';
import type { GatewayConfig } from './schema.ts';

/**
 * The zone of each camera, from its one home in the config (`cameras.<id>.zone`). A running gateway
 * re-reads them when the config file changes (`veilgate devices zone` writes there), so a camera moved
 * to another zone is decided under it from the next frame, as a sensor moved in the registry is.
 */
export class CameraZones {
  private zones = new Map<string, string | undefined>();

  constructor(cfg: Readonly<GatewayConfig>) {
    this.update(cfg);
  }

  update(cfg: Readonly<GatewayConfig>): void {
    this.zones = new Map(Object.entries(cfg.cameras).map(([id, c]) => [id, c.zone]));
  }

  /** whether the id is a camera of the config: then its zone is the config's, set or not */
  has(id: string): boolean {
    return this.zones.has(id);
  }

  zone(id: string): string | undefined {
    return this.zones.get(id);
  }

  /** A device's zone: a camera's from the config, any other device's from the registry. */
  zoneOf(id: string, registered: { zone?: string | undefined } | undefined): string | undefined {
    return this.has(id) ? this.zone(id) : registered?.zone;
  }
}

/**
 * A camera's zone kept in the device registry is the old form: the start refuses it rather than
 * choosing between two homes, and says how to move it.
 */
export function refuseRegistryCameraZones(
  devices: ReadonlyArray<{ id: string; kind: string; zone?: string | undefined }>,
  configFile = 'the config',
): void {
  const old = devices.filter((d) => d.kind === 'camera' && d.zone);
  if (old.length === 0) return;
  const list = old.map((d) => `${d.id} (${d.zone})`).join(', ');
  throw Object.assign(
    new Error(
      `the device registry holds the zone of camera(s) ${list}; a camera's zone now lives in the config under cameras.<id>.zone: run "veilgate config migrate --config ${configFile} --write"`,
    ),
    { code: 'CAMERA_ZONE_IN_REGISTRY' },
  );
}

/**
 * Watches the config file for cameras' zones: a valid new version updates them and `changed` is
 * called (to audit the moves); other settings wait for the next start, and an invalid file is logged
 * and changes nothing.
 */
export function watchCameraZones(file: string, zones: CameraZones, log: Logger, changed: () => void): Close {
  const w = watchFile(file, () => {
    void loadConfig(file).then((r) => {
      if (!r.ok)
        return log.warn({ error: formatSourceError(r.errors[0]!) }, 'the config file changed and is not valid');
      zones.update(r.config);
      log.info("config file changed: cameras' zones taken now; other settings at the next start");
      changed();
    });
  });
  return () => w.close();
}
