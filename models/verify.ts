import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ensureBuilt } from './build.ts';
import { modelPath, type ModelEntry } from './catalogue.ts';

export class ModelIntegrityError extends Error {
  readonly code = 'MODEL_INTEGRITY';
  constructor(
    readonly modelId: string,
    readonly expected: string,
    readonly actual: string,
    readonly file: string,
  ) {
    super(`model ${modelId} at ${file} has sha256 ${actual}, the catalogue expects ${expected}: refusing to load it`);
  }
}

/**
 * Reads a model file (building a converted one first if it is missing) and returns its bytes only if their sha256
 * matches the catalogue.
 */
export async function readVerifiedModel(entry: ModelEntry): Promise<Uint8Array> {
  await ensureBuilt(entry);
  const file = modelPath(entry);
  const bytes = await readFile(file);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== entry.sha256) throw new ModelIntegrityError(entry.id, entry.sha256, actual, file);
  return bytes;
}

/**
 * The same check without holding the file: for a model whose session is made later, so that the
 * process does not keep the memory of a whole read at start.
 */
export async function verifyModel(entry: ModelEntry): Promise<void> {
  await ensureBuilt(entry);
  const file = modelPath(entry);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== entry.sha256) throw new ModelIntegrityError(entry.id, entry.sha256, actual, file);
}
