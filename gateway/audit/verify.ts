import { join } from 'node:path';
import { readLines } from '../storage/jsonl-log.ts';
import { AUDIT_FILE } from './log.ts';
import { entryHash, GENESIS, type AuditEntry } from './entry.ts';

export type VerifyResult =
  | { ok: true; entries: number; head: { seq: number; hash: string } }
  | { ok: false; entries: number; badSeq: number | null; line: number; problem: string };

/** Walks the whole chain and names the first entry that does not follow from the one before. */
export async function verifyAudit(dir: string): Promise<VerifyResult> {
  const { lines, corruptLines, totalBytes, validBytes } = await readLines(join(dir, AUDIT_FILE));
  let prev = GENESIS;
  let seq = 0;
  for (let i = 0; i < lines.length; i++) {
    const e = lines[i] as AuditEntry;
    const bad = (problem: string): VerifyResult => ({ ok: false, entries: i, badSeq: typeof e?.seq === 'number' ? e.seq : null, line: i + 1, problem });
    if (!e || typeof e !== 'object' || typeof e.hash !== 'string') return bad('not an audit entry');
    if (e.seq !== seq + 1) return bad(`sequence jumps from ${seq} to ${e.seq}: entries were removed or reordered`);
    if (e.prev !== prev) return bad('does not point at the previous entry\'s hash');
    if (entryHash(e) !== e.hash) return bad('its content does not match its hash: the entry was altered');
    prev = e.hash;
    seq = e.seq;
  }
  if (corruptLines > 0) return { ok: false, entries: lines.length, badSeq: null, line: -1, problem: `${corruptLines} line(s) are not valid JSON` };
  if (validBytes < totalBytes) return { ok: false, entries: lines.length, badSeq: null, line: lines.length + 1, problem: 'the last entry is incomplete (torn write)' };
  return { ok: true, entries: lines.length, head: { seq, hash: prev } };
}
