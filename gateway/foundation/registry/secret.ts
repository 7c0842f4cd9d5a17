import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';

const scryptAsync = promisify(scrypt) as (
  pw: string | Buffer,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;
/** scrypt N=2^14, r=8, p=1: slow enough to make stolen hashes expensive, quick enough for a login on a Pi. */
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

/** A secret as stored (device registry, status page logins): its scrypt hash, never the secret. */
export const StoredSecretSchema = z.strictObject({ algo: z.literal('scrypt'), salt: z.string(), hash: z.string() });
export type StoredSecret = z.infer<typeof StoredSecretSchema>;

/** A new device secret: 24 random bytes, URL-safe, shown once. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export async function hashSecret(secret: string): Promise<StoredSecret> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, KEY_LEN, PARAMS);
  return { algo: 'scrypt', salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/** Checked against when a name is unknown, so that an unknown name costs what a wrong secret does. */
const NOBODY: StoredSecret = {
  algo: 'scrypt',
  salt: 'AAAAAAAAAAAAAAAAAAAAAA==',
  hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};

let checksRun = 0;
/** scrypt checks run by this process: the CPU that logins cost (metrics, and the login-burst tests). */
export function secretChecksRun(): number {
  return checksRun;
}

/**
 * Whether the secret is the stored one; with no stored secret (an unknown name) the same work is done and the answer is
 * no.
 */
export async function secretMatches(secret: string | Buffer, stored: StoredSecret | undefined): Promise<boolean> {
  if (!stored) {
    await secretMatches(secret, NOBODY);
    return false;
  }
  checksRun++;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scryptAsync(secret, Buffer.from(stored.salt, 'base64'), KEY_LEN, PARAMS);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
