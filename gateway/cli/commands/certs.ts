import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DeviceId } from '../../../devices/index.ts';
import { initPki, issueDeviceCert, pkiFiles } from '../../certs/pki.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { UsageError } from '../exit.ts';

type Opts = { config: string };

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('a local CA and certificates for the mqtts listener (first install)');
  certs
    .command('init')
    .description('make a CA and a server certificate in dataDir/certs, and print the broker.tls settings that use them')
    .option('--name <name...>', 'host names and IP addresses devices use to reach this gateway', ['127.0.0.1'])
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: Opts & { name: string[] }) => {
      const cfg = await requireConfig(o.config);
      const dir = join(cfg.dataDir, 'certs');
      const exists = await access(pkiFiles(dir).ca).then(() => true, () => false);
      if (exists) throw new UsageError(`${pkiFiles(dir).ca} exists already: a new CA would invalidate every device certificate. Remove ${dir} first if that is what you want`);
      const f = await initPki(dir, o.name);
      console.log(`made ${f.ca} (the CA; its key ${f.caKey} never leaves this box) and ${f.serverCert} for ${o.name.join(', ')}`);
      console.log(['', 'add to the config:', 'broker:', '  tls:', '    enabled: true', '    host: 0.0.0.0            # or the camera network interface', '    port: 8883',
        `    certFile: ${f.serverCert}`, `    keyFile: ${f.serverKey}`, `    caFile: ${f.ca}`, '    clientCertAuth: true     # devices may log in with `veilgate certs device ID`', '',
        `devices trust ${f.ca} to verify the gateway.`].join('\n'));
    });
  certs
    .command('device')
    .description('issue a client certificate whose CN is the device id (for broker.tls.clientCertAuth)')
    .argument('<id>')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts) => {
      if (!DeviceId.safeParse(id).success) throw new UsageError(`"${id}" is not a valid device id`);
      const cfg = await requireConfig(o.config);
      const dir = join(cfg.dataDir, 'certs');
      const ok = await access(pkiFiles(dir).caKey).then(() => true, () => false);
      if (!ok) throw new UsageError(`no CA in ${dir}: run "veilgate certs init" first`);
      const c = await issueDeviceCert(dir, id);
      console.log(`issued ${c.cert} with key ${c.key} for device ${id}: install both on the device, then remove the key from this box`);
    });
}
