import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The key of the policies' hash transforms, made once per deployment and kept in dataDir: hashes
 * stay stable across restarts and policy versions, but two deployments' hashes cannot be linked,
 * and nobody without the box can reverse a hashed badge number by trying all of them.
 */
export async function deploymentSalt(dataDir: string): Promise<string> {
  const file = join(dataDir, 'salt');
  try {
    const s = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(s)) return s;
    throw new Error(
      `${file} is damaged: it should hold 64 hex characters. Restore it from a backup (a new one changes every hash)`,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const s = randomBytes(32).toString('hex');
  await writeFile(file, `${s}\n`, { mode: 0o600, flag: 'wx' });
  return s;
}
