import { access, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { SCHEMA_FILES } from '../../schemas.ts';
import { formatSourceError } from '../../../../policies/index.ts';
import { checkConfigFiles } from '../config-files.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { UsageError } from '../exit.ts';
import { replaceChecked } from '../camera-config.ts';
import { migrateCameras, oldCameraKeys } from '../../../foundation/config/index.ts';
import { DeviceRegistry } from '../../../foundation/registry/index.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check and describe the gateway configuration');
  config
    .command('check')
    .description(
      'validate a config file and the files it names: the policy and every TLS file (exit 0 valid, 2 invalid)',
    )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option(
      '--start',
      'check what a start needs (the systemd unit runs this): a policy problem is then a warning, as the gateway starts without a valid policy and forwards nothing until it is fixed',
    )
    .action(async (o: { config: string; start?: boolean }) => {
      const cfg = await requireConfig(o.config);
      const { errors, policy } = await checkConfigFiles(o.config, cfg);
      if (policy && o.start) console.error(`warning: ${formatSourceError(policy)}`);
      else if (policy) errors.unshift(policy);
      if (errors.length > 0) throw new UsageError(errors.map(formatSourceError).join('\n'));
      console.log(
        `ok ${o.config}: gateway ${cfg.gatewayId}, broker ${cfg.broker.host}:${cfg.broker.port}, policy ${cfg.policy.file}`,
      );
    });
  config
    .command('migrate')
    .description(
      "rewrite a config to the form where each camera's settings live under cameras.<id>: the RTSP list, vision.masks, vision.orientation and cameras' zones from the device registry. Prints the new file; --write replaces it (a copy of the old one is kept beside it)",
    )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option(
      '--write',
      'replace the file, keep the old one as FILE.before-migrate, and clear the moved zones from the registry',
    )
    .action(async (o: { config: string; write?: boolean }) => {
      const text = await readFile(o.config, 'utf8').catch((e: Error) => {
        throw new UsageError(`cannot read ${o.config}: ${e.message}`);
      });
      const registry = await registryBeside(o.config, text);
      const zones = Object.fromEntries(
        (registry?.list() ?? []).flatMap((d) => (d.kind === 'camera' && d.zone ? [[d.id, d.zone]] : [])),
      );
      if (oldCameraKeys(text).length === 0 && Object.keys(zones).length === 0) {
        console.log(`${o.config} is already in the current form`);
        return;
      }
      const m = migrateCameras(text, zones);
      if (!o.write) {
        process.stdout.write(m.text);
        console.error(`(not written: add --write to replace ${o.config})`);
        return;
      }
      const copy = `${o.config}.before-migrate`;
      await replaceChecked(o.config, m.text, copy);
      // the config holds them now; the registry's copies would be refused at the next start
      for (const id of m.zonesFromRegistry) await registry!.setZone(id, undefined);
      console.log(
        `rewrote ${o.config} (the old one is ${copy})${m.zonesFromRegistry.length ? `; zones moved from the device registry: ${m.zonesFromRegistry.join(', ')}` : ''}`,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file, for editors')
    .action(() => {
      console.log(JSON.stringify(SCHEMA_FILES['docs/schema/gateway.schema.json']!(), null, 2));
    });
}

/**
 * The device registry of the data folder a config names, read without the config passing its checks
 * (the old form does not); null when there is none yet. Nothing is created.
 */
async function registryBeside(configFile: string, text: string): Promise<DeviceRegistry | null> {
  let dataDir = './data';
  try {
    const raw = parse(text) as { dataDir?: unknown } | null;
    if (typeof raw?.dataDir === 'string') dataDir = raw.dataDir;
  } catch {
    return null;
  }
  const dir = resolve(dirname(resolve(configFile)), dataDir);
  try {
    await access(join(dir, 'devices.json'));
  } catch {
    return null;
  }
  return DeviceRegistry.open(dir);
}
