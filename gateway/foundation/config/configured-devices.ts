import type { CameraZones } from './camera-zones.ts';
import { rtspCameras } from './cameras.ts';
import type { GatewayConfig } from './schema.ts';

/**
 * Devices that live in the config rather than the registry (RTSP cameras, GPIO sensors), so that the
 * audit log, and the transparency report made from it, list them with the provisioned ones.
 */
export function configuredDevices(
  cfg: Readonly<GatewayConfig>,
): Array<{ id: string; kind: string; createdAt: string }> {
  return [
    ...rtspCameras(cfg).map((c) => ({ id: c.id, kind: 'camera', createdAt: 'config' })),
    ...cfg.sensors.map((s) => ({ id: s.id, kind: 'sensor', createdAt: 'config' })),
  ];
}

/**
 * Every device the gateway knows, provisioned or configured, each with its zone from its one home:
 * a camera's from the config, any other device's from the registry. What the audit log records device
 * changes from.
 */
export function knownDevices<D extends { id: string; kind: string; zone?: string | undefined; createdAt: string }>(
  registered: readonly D[],
  cfg: Readonly<GatewayConfig>,
  zones: CameraZones,
): Array<{ id: string; kind: string; zone?: string | undefined; createdAt: string; rotatedAt?: string | undefined }> {
  return [
    ...registered.map((d) => ({ ...d, zone: zones.zoneOf(d.id, d) })),
    ...configuredDevices(cfg).map((d) => ({ ...d, zone: zones.zoneOf(d.id, undefined) })),
  ];
}

/**
 * Checked before anything listens: the id names the camera in records, policies and the audit log, so
 * an RTSP camera may not share it with a provisioned MQTT device (an MQTT camera is one).
 */
export function refuseTakenCameraIds(cfg: Readonly<GatewayConfig>, registered: (id: string) => boolean): void {
  const taken = rtspCameras(cfg).find((c) => registered(c.id));
  if (taken)
    throw Object.assign(
      new Error(
        `camera ${taken.id} in cameras: has the id of a provisioned MQTT device; give it another id, or source: mqtt if it is that device`,
      ),
      { code: 'CAMERA_ID_TAKEN' },
    );
}
