import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificateFacts, type CertificateFacts } from '../../foundation/registry/index.ts';

const run = promisify(execFile);

/**
 * A small local PKI for a first install, made with Debian's openssl (always an argument array, never a
 * shell): a CA that stays on the box, the broker's server certificate, and device client certificates.
 * Keys are P-256, written 0600. An agency with its own PKI configures its files instead.
 */
export interface PkiFiles {
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function pkiFiles(dir: string): PkiFiles {
  return {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('openssl is not installed (apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n').at(-1)}`);
  }
}

/** A new unencrypted P-256 key, for the CA, the server and every device alike. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function newKeyAndCsr(key: string, csr: string, cn: string): Promise<void> {
  await openssl(['req', '-new', ...NEW_P256_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  await chmod(key, 0o600);
}

async function sign(dir: string, csr: string, out: string, ext: string, days: number): Promise<void> {
  const f = pkiFiles(dir);
  const extFile = `${out}.ext`;
  await writeFile(extFile, ext);
  try {
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      f.ca,
      '-CAkey',
      f.caKey,
      '-CAcreateserial',
      '-out',
      out,
      '-days',
      String(days),
      '-extfile',
      extFile,
    ]);
  } finally {
    await rm(extFile, { force: true });
    await rm(csr, { force: true });
  }
}

/** Makes the CA and a server certificate valid for `names` (host names and IP addresses). */
export async function initPki(dir: string, names: string[], days = 825): Promise<PkiFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = pkiFiles(dir);
  await openssl([
    'req',
    '-x509',
    ...NEW_P256_KEY,
    '-keyout',
    f.caKey,
    '-out',
    f.ca,
    '-days',
    String(days * 2),
    '-subj',
    '/CN=veilgate local CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await chmod(f.caKey, 0o600);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const csr = join(dir, 'server.csr');
  await newKeyAndCsr(f.serverKey, csr, names[0] ?? 'veilgate');
  await sign(
    dir,
    csr,
    f.serverCert,
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
    days,
  );
  return f;
}

/**
 * A client certificate whose CN is the device id, signed by the local CA, valid for `days` (a negative
 * number makes one that has already expired, for tests). Re-issuing replaces the files; the registry
 * is what makes the old certificate stop working (see `certs device`).
 */
export async function issueDeviceCert(
  dir: string,
  deviceId: string,
  days: number,
): Promise<{ cert: string; key: string; facts: CertificateFacts }> {
  const cert = join(dir, `device-${deviceId}.pem`);
  const key = join(dir, `device-${deviceId}.key`);
  const csr = join(dir, `device-${deviceId}.csr`);
  await newKeyAndCsr(key, csr, deviceId);
  await sign(dir, csr, cert, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n', days);
  return { cert, key, facts: certificateFacts(await readFile(cert)) };
}
