import type { Command } from 'commander';
import { z } from 'zod';
import { DeviceId, DeviceKind, ZoneName } from '../../../../devices/index.ts';
import { DeviceRegistry } from '../../../foundation/registry/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';
import { writeCameraZone } from '../camera-config.ts';

type Opts = { config: string };

/**
 * Only the registry, and a camera's zone in the config, are written here. The gateway is the audit
 * log's only writer (two writers would fork the hash chain): it records each change at once while it
 * runs, or at its next start.
 */
async function open(o: Opts) {
  const cfg = await requireConfig(o.config);
  return { cfg, registry: await DeviceRegistry.open(cfg.dataDir) };
}

function parseZone(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  const r = ZoneName.safeParse(zone);
  if (!r.success) throw new UsageError(`"${zone}" is not a valid zone: ${r.error.issues[0]?.message}`);
  return r.data;
}

function parseId(id: string): string {
  const r = DeviceId.safeParse(id);
  if (!r.success) throw new UsageError(`"${id}" is not a valid device id: ${r.error.issues[0]?.message}`);
  return r.data;
}

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description('provision device credentials (secrets are shown once and stored hashed)');
  devices
    .command('add')
    .argument('<id>')
    .requiredOption('--kind <kind>', 'camera, sensor, or consumer (a read-only identity for the local/... topics)')
    .option('--zone <zone>', 'where the device is, as policies name it (rules may match on zones)')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts & { kind: string; zone?: string }) => {
      const kind = DeviceKind.or(z.literal('consumer')).safeParse(o.kind);
      if (!kind.success) throw new UsageError(`--kind must be camera, sensor or consumer, not "${o.kind}"`);
      const zone = parseZone(o.zone);
      const { registry } = await open(o);
      if (registry.get(parseId(id)))
        throw new UsageError(`device ${id} already exists; use "devices rotate ${id}" for a new secret`);
      // a camera's zone lives with its other settings, in the config
      const secret = await registry.add(id, kind.data, { zone: kind.data === 'camera' ? undefined : zone });
      if (kind.data === 'camera' && zone) await writeCameraZone(o.config, id, zone);
      console.log(
        `added ${kind.data} ${id}\nMQTT username: ${id}\nMQTT password: ${secret}\n(store it now: it is not kept and cannot be shown again)`,
      );
    });
  devices
    .command('list')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: Opts) => {
      const { registry, cfg } = await open(o);
      for (const d of registry.list()) {
        const zone = d.id in cfg.cameras ? cfg.cameras[d.id]!.zone : d.zone;
        const cert = d.certificate
          ? `\tcertificate ${d.certificate.serial.slice(0, 16)} until ${d.certificate.notAfter}`
          : '';
        console.log(
          `${d.id}\t${d.kind}\t${zone ?? '-'}\tadded ${d.createdAt}${d.rotatedAt ? `\trotated ${d.rotatedAt}` : ''}${cert}`,
        );
      }
    });
  devices
    .command('remove')
    .argument('<id>')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts) => {
      const { registry } = await open(o);
      const removed = await registry.remove(parseId(id));
      console.log(removed ? `removed ${id}` : `no device ${id}`);
      process.exitCode = removed ? EXIT.OK : EXIT.CHECK_FAILED;
    });
  devices
    .command('rotate')
    .description(
      'a new secret for a device whose credentials leaked: the old secret and its certificate stop working, and a running gateway disconnects it',
    )
    .argument('<id>')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts) => {
      const { registry } = await open(o);
      if (!registry.get(parseId(id))) throw new UsageError(`no device ${id}`);
      const hadCertificate = registry.get(id)!.certificate !== undefined;
      const secret = await registry.rotate(id);
      console.log(`rotated ${id}\nMQTT password: ${secret}\n(store it now: it is not kept and cannot be shown again)`);
      if (hadCertificate)
        console.log(`its client certificate is ended too: issue a new one with "veilgate certs device ${id}"`);
    });
  devices
    .command('zone')
    .description('move a device to a zone, or out of every zone when ZONE is left out')
    .argument('<id>')
    .argument('[zone]')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, zoneArg: string | undefined, o: Opts) => {
      const zone = parseZone(zoneArg);
      const { registry, cfg } = await open(o);
      const d = registry.get(parseId(id));
      if (!d && !(id in cfg.cameras)) throw new UsageError(`no device ${id}`);
      if (id in cfg.cameras || d?.kind === 'camera') {
        await writeCameraZone(o.config, id, zone);
        console.log(`${id} is now in ${zone ? `zone ${zone}` : 'no zone'} (cameras.${id}.zone in ${o.config})`);
        return;
      }
      await registry.setZone(id, zone);
      console.log(zone ? `${id} is now in zone ${zone}` : `${id} is now in no zone`);
    });
}
