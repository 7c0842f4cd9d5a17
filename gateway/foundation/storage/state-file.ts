import { readFile, rename } from 'node:fs/promises';
import type { z } from 'zod';

/** A file under dataDir that veilgate cannot read back: the message names it and says what to do. */
export class DamagedFileError extends Error {
  readonly code = 'DATA_DAMAGED';
  constructor(
    readonly file: string,
    readonly problem: string,
    todo: string,
  ) {
    super(`${file} is damaged (${problem}). ${todo}`);
  }
}

/**
 * Reads a small JSON state file that veilgate wrote: null when it does not exist, a DamagedFileError
 * when it is not JSON or not of the schema (a failing card, an edit by hand), never a half-read value.
 */
export async function readStateFile<S extends z.ZodType>(
  file: string,
  schema: S,
  todo: string,
): Promise<z.infer<S> | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DamagedFileError(file, `not JSON: ${(e as Error).message}`, todo);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DamagedFileError(
      file,
      `not what veilgate writes there: ${issue?.path.join('.') || 'the whole file'}: ${issue?.message}`,
      todo,
    );
  }
  return r.data;
}

/** Moves a damaged file or folder aside, kept for a person to look at; returns where it went. */
export async function setAside(path: string, now = new Date()): Promise<string> {
  const to = `${path}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, to);
  return to;
}
