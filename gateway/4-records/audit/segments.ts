import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../../foundation/storage/replace-file.ts';

/** The file being written. Full ones are renamed to audit.000001.jsonl, audit.000002.jsonl, … in order. */
export const AUDIT_FILE = 'audit.jsonl';
/** Where the chain starts once old segments were removed by retention: the seq and hash of the last removed entry. */
export const ANCHOR_FILE = 'anchor.json';

const SEGMENT = /^audit\.(\d{6,})\.jsonl$/;

export interface Anchor {
  seq: number;
  hash: string;
}

export function segmentName(n: number): string {
  return `audit.${String(n).padStart(6, '0')}.jsonl`;
}

/** Closed segments, oldest first, then the active file: the whole chain in order. */
export async function chainFiles(dir: string): Promise<{ segments: { n: number; path: string }[]; active: string }> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const segments = names
    .map((name) => ({ name, m: SEGMENT.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({ n: Number(m[1]), path: join(dir, name) }))
    .sort((a, b) => a.n - b.n);
  return { segments, active: join(dir, AUDIT_FILE) };
}

export async function readAnchor(dir: string): Promise<Anchor | null> {
  try {
    const a = JSON.parse(await readFile(join(dir, ANCHOR_FILE), 'utf8')) as Anchor;
    if (typeof a.seq !== 'number' || typeof a.hash !== 'string') throw new Error('not an anchor');
    return a;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw Object.assign(new Error(`${join(dir, ANCHOR_FILE)} is unreadable: ${(e as Error).message}`), {
      code: 'AUDIT_ANCHOR_BAD',
    });
  }
}

export async function writeAnchor(dir: string, a: Anchor): Promise<void> {
  await replaceFile(join(dir, ANCHOR_FILE), `${JSON.stringify(a)}\n`);
}
