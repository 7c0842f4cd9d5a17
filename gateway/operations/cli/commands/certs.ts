import { X509Certificate } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DeviceId } from '../../../../devices/index.ts';
import { initPki, issueDeviceCert, pkiFiles } from '../../certs/pki.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import {
  certificateFacts,
  DeviceRegistry,
  recordOf,
  type CertificateFacts,
} from '../../../foundation/registry/index.ts';
import { EXIT, UsageError } from '../exit.ts';

type Opts = { config: string };

export function registerCerts(program: Command): void {
  const certs = program
    .command('certs')
    .description('a local CA and certificates for the mqtts listener (first install)');
  certs
    .command('init')
    .description('make a CA and a server certificate in dataDir/certs, and print the broker.tls settings that use them')
    .option('--name <name...>', 'host names and IP addresses devices use to reach this gateway', ['127.0.0.1'])
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: Opts & { name: string[] }) => {
      const cfg = await requireConfig(o.config);
      const dir = join(cfg.dataDir, 'certs');
      const exists = await access(pkiFiles(dir).ca).then(
        () => true,
        () => false,
      );
      if (exists)
        throw new UsageError(
          `${pkiFiles(dir).ca} exists already: a new CA would invalidate every device certificate. Remove ${dir} first if that is what you want`,
        );
      const f = await initPki(dir, o.name);
      console.log(
        `made ${f.ca} (the CA; its key ${f.caKey} never leaves this box) and ${f.serverCert} for ${o.name.join(', ')}`,
      );
      console.log(
        [
          '',
          'add to the config:',
          'broker:',
          '  tls:',
          '    enabled: true',
          '    host: 0.0.0.0            # or the camera network interface',
          '    port: 8883',
          `    certFile: ${f.serverCert}`,
          `    keyFile: ${f.serverKey}`,
          `    caFile: ${f.ca}`,
          '    clientCertAuth: true     # devices may log in with `veilgate certs device ID`',
          '',
          `devices trust ${f.ca} to verify the gateway.`,
        ].join('\n'),
      );
    });
  certs
    .command('device')
    .description(
      "issue a client certificate whose CN is the device id (for broker.tls.clientCertAuth), or record one the agency issued (--cert); the device's previous certificate stops working",
    )
    .argument('<id>')
    .option('--days <n>', 'days it is valid (default: broker.tls.deviceCertDays)')
    .option('--cert <file>', "record this PEM certificate, issued by the agency's CA, instead of issuing one")
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts & { days?: string; cert?: string }) => {
      if (!DeviceId.safeParse(id).success) throw new UsageError(`"${id}" is not a valid device id`);
      const cfg = await requireConfig(o.config);
      const registry = await DeviceRegistry.open(cfg.dataDir);
      if (!registry.get(id))
        throw new UsageError(`no device ${id}: add it first with "veilgate devices add ${id} --kind ..."`);
      if (o.cert) {
        const facts = await externalCertificate(o.cert, id, cfg.broker.tls.caFile);
        await registry.setCertificate(id, recordOf(facts));
        console.log(
          `recorded ${o.cert} (serial ${facts.serial}, valid until ${facts.notAfter.toISOString()}) as ${id}'s certificate; any other is refused from now on`,
        );
        return;
      }
      const days = o.days === undefined ? cfg.broker.tls.deviceCertDays : Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 825)
        throw new UsageError(`--days must be a whole number from 1 to 825, not "${o.days}"`);
      const dir = join(cfg.dataDir, 'certs');
      const ok = await access(pkiFiles(dir).caKey).then(
        () => true,
        () => false,
      );
      if (!ok) throw new UsageError(`no CA in ${dir}: run "veilgate certs init" first`);
      const c = await issueDeviceCert(dir, id, days);
      await registry.setCertificate(id, recordOf(c.facts));
      console.log(
        `issued ${c.cert} with key ${c.key} for device ${id}, valid until ${c.facts.notAfter.toISOString()}: install both on the device, then remove the key from this box. Its previous certificate, if any, is refused from now on`,
      );
    });
  certs
    .command('revoke')
    .description(
      "end the device's certificate at once (a running gateway disconnects it); its password, if it has one, still works",
    )
    .argument('<id>')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (id: string, o: Opts) => {
      const cfg = await requireConfig(o.config);
      const registry = await DeviceRegistry.open(cfg.dataDir);
      if (!registry.get(id)) throw new UsageError(`no device ${id}`);
      const revoked = await registry.revokeCertificate(id);
      console.log(revoked ? `revoked ${id}'s certificate` : `${id} has no certificate in force`);
      process.exitCode = revoked ? EXIT.OK : EXIT.CHECK_FAILED;
    });
}

/** An agency-issued certificate: its CN must be the device, and it must come from the CA the listener trusts. */
async function externalCertificate(file: string, id: string, caFile: string | undefined): Promise<CertificateFacts> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new UsageError(`${file} is not a PEM certificate`);
  }
  const facts = certificateFacts(cert);
  if (facts.cn !== id) throw new UsageError(`${file} is for CN=${facts.cn ?? '(none)'}, not ${id}`);
  if (facts.notAfter.getTime() <= Date.now())
    throw new UsageError(`${file} expired on ${facts.notAfter.toISOString()}`);
  if (!caFile) throw new UsageError('broker.tls.caFile is not set: the gateway would not verify this certificate');
  const ca = new X509Certificate(await readFile(caFile));
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw new UsageError(`${file} was not issued by ${caFile} (broker.tls.caFile)`);
  return facts;
}
