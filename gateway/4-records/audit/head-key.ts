import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What the agency archives: the chain's head at a moment, signed with the gateway's audit key. */
export const SignedHeadSchema = z.strictObject({
  gatewayId: z.string(),
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  /** sha256 of the public key (SPKI DER), hex: which key signed */
  key: z.string().regex(/^[0-9a-f]{64}$/),
  /** Ed25519 signature, base64, over JSON [gatewayId, seq, hash, at] */
  sig: z.string(),
});
export type SignedHead = z.infer<typeof SignedHeadSchema>;

const KEY_DIR = 'keys';
const PRIVATE = 'audit-head.key';
const PUBLIC = 'audit-head.pub';

function signedBytes(h: Pick<SignedHead, 'gatewayId' | 'seq' | 'hash' | 'at'>): Buffer {
  return Buffer.from(JSON.stringify([h.gatewayId, h.seq, h.hash, h.at]));
}

/** Which key signed a head or a policy: the sha256 of its public half's SPKI DER, in hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return derFingerprint(publicKey.export({ type: 'spki', format: 'der' }));
}

/** The same fingerprint from the SPKI DER itself, for a caller that has it already. */
export function derFingerprint(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/**
 * The gateway's audit key (Ed25519), made once under dataDir/keys and never sent anywhere: only its
 * public half is printed (`veilgate audit key`) and published with every head, so the agency can
 * check that the heads it archives come from this box.
 */
export class HeadKey {
  /** sha256 of the public key: which key signed a head */
  readonly fingerprint: string;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
  ) {
    this.fingerprint = keyFingerprint(publicKey);
  }

  get publicPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  static async openOrCreate(dataDir: string): Promise<HeadKey> {
    const dir = join(dataDir, KEY_DIR);
    try {
      const privateKey = createPrivateKey(await readFile(join(dir, PRIVATE)));
      return new HeadKey(privateKey, createPublicKey(privateKey));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw Object.assign(
          new Error(
            `${join(dir, PRIVATE)} is not a usable key (${(e as Error).message}). Restore it from a backup; a new key (move the file aside) starts a new series of heads the agency must be told of`,
          ),
          { code: 'AUDIT_KEY_BAD' },
        );
      }
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, PRIVATE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
      flush: true,
    });
    await writeFile(join(dir, PUBLIC), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flush: true });
    return new HeadKey(privateKey, publicKey);
  }

  sign(gatewayId: string, head: { seq: number; hash: string }, at: Date): SignedHead {
    const h = { gatewayId, seq: head.seq, hash: head.hash, at: at.toISOString() };
    return { ...h, key: this.fingerprint, sig: sign(null, signedBytes(h), this.privateKey).toString('base64') };
  }
}

/** Whether a head was signed by this public key (whose fingerprint a caller checking many heads may know). */
export function headSignedBy(head: SignedHead, publicKey: KeyObject, fingerprint = keyFingerprint(publicKey)): boolean {
  if (head.key !== fingerprint) return false;
  return verify(null, signedBytes(head), publicKey, Buffer.from(head.sig, 'base64'));
}
