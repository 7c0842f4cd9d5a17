import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PolicySignature } from '../../../devices/index.ts';
import type { LoadedPolicy } from '../../../policies/index.ts';
import { keyFingerprint } from '../../4-records/audit/index.ts';

/** What is signed: the file's sha256 and the time, under a label so the signature means nothing elsewhere. */
function signedBytes(sha256: string, signedAt: string): Buffer {
  return Buffer.from(JSON.stringify(['veilgate-policy', sha256, signedAt]));
}

/** A privacy officer's key pair (Ed25519) as `veilgate keys init` writes it. */
export function makeSigningKeys(): { privatePem: string; publicPem: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
  };
}

export function signPolicy(loaded: LoadedPolicy, privateKey: KeyObject, at = new Date()): PolicySignature {
  const signedAt = at.toISOString();
  return {
    schemaVersion: 1,
    algorithm: 'ed25519',
    key: keyFingerprint(createPublicKey(privateKey)),
    sha256: loaded.sha256,
    policy: { id: loaded.policy.id, version: loaded.policy.version },
    signedAt,
    signature: sign(null, signedBytes(loaded.sha256, signedAt), privateKey).toString('base64'),
  };
}

/**
 * Why `text` is not a policy signed by one of the trusted keys, in words, or null when it is. The file
 * is hashed here, not taken from the signature, so a changed byte anywhere fails.
 */
export function signatureProblem(
  text: string,
  sig: PolicySignature,
  trusted: ReadonlyMap<string, KeyObject>,
): string | null {
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (sha256 !== sig.sha256)
    return `the policy's sha256 is ${sha256.slice(0, 12)}, the signature is for ${sig.sha256.slice(0, 12)}`;
  const key = trusted.get(sig.key);
  if (!key) return `signed with key ${sig.key.slice(0, 12)}, which this gateway does not trust (policy.trustedKeys)`;
  let good = false;
  try {
    good = verify(null, signedBytes(sig.sha256, sig.signedAt), key, Buffer.from(sig.signature, 'base64'));
  } catch {
    good = false;
  }
  return good ? null : `the signature does not verify with key ${sig.key.slice(0, 12)}`;
}

export type TrustedKeysResult = { ok: true; keys: Map<string, KeyObject> } | { ok: false; errors: string[] };

/** The config's trusted keys (inline PEM or files), by fingerprint; one not an Ed25519 public key is an error. */
export async function readTrustedKeys(entries: readonly string[]): Promise<TrustedKeysResult> {
  const keys = new Map<string, KeyObject>();
  const errors: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const inline = entry.trimStart().startsWith('-----BEGIN');
    const name = inline ? `policy.trustedKeys[${i}]` : entry;
    try {
      const pem = inline ? entry : await readFile(entry, 'utf8');
      // createPublicKey would take a private key and derive its public half: the secret would then live on every box
      if (/PRIVATE KEY/.test(pem)) {
        errors.push(`${name}: a private key; give gateways the public key (.pub) and keep the private one off them`);
        continue;
      }
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') {
        errors.push(`${name}: a ${key.asymmetricKeyType} key; policies are signed with Ed25519 (veilgate keys init)`);
        continue;
      }
      keys.set(keyFingerprint(key), key);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push(`${name}: ${code === 'ENOENT' ? 'file not found' : `not a public key (${(e as Error).message})`}`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, keys };
}

/** A private signing key from its file; a readable error, never the key's bytes, when it is not one. */
export async function readSigningKey(file: string): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'file not found' : 'not a private key (PEM, PKCS#8)'}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${file}: a ${key.asymmetricKeyType} key; policies are signed with Ed25519 (veilgate keys init)`);
  return key;
}
