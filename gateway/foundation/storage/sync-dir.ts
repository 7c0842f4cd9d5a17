import { open } from 'node:fs/promises';

/** Makes a rename or a new file in `dir` durable: without it a power cut can undo the rename. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
