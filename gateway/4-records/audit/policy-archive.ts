import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../../foundation/storage/replace-file.ts';

const DIR = 'policies';

/** Every policy version ever activated, by sha256 (the hash the chain cites, so a swapped file is detectable). */
export async function archivePolicy(auditDir: string, sha256: string, text: string): Promise<void> {
  const dir = join(auditDir, DIR);
  await mkdir(dir, { recursive: true });
  await replaceFile(join(dir, `${sha256}.yaml`), text);
}

/** The archived text of a policy version, or null when it is not (or no longer) there. */
export async function readArchivedPolicy(auditDir: string, sha256: string): Promise<string | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  return readFile(join(auditDir, DIR, `${sha256}.yaml`), 'utf8').catch(() => null);
}
