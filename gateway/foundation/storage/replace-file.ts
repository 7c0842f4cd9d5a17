import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from './sync-dir.ts';

/**
 * Replaces a small file whole: written and flushed beside it, then renamed, so a power cut leaves the old file or the
 * new one.
 */
export async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { flush: true });
  await rename(tmp, path);
  await syncDir(dirname(path));
}
