import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file below a folder, sorted, but those named in `skip`. */
export async function filesUnder(dir: string, skip: readonly string[] = []): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !skip.includes(e.name)) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}
