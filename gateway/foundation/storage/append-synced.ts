import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from './sync-dir.ts';

/**
 * Appends `text` to a file and flushes it to the disk before it resolves, the directory entry too
 * when the file is new: for a writer that acknowledges what it received only once it is kept, one
 * message at a time. A failed write may leave part of the text: the reader cuts a torn last line.
 */
export async function appendSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'a');
  let created = false;
  try {
    created = (await fh.stat()).size === 0;
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length;) at += (await fh.write(bytes, at)).bytesWritten;
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (created) await syncDir(dirname(path));
}
