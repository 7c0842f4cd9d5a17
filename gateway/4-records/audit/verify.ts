import { entryHash, GENESIS, type AuditEntry } from './entry.ts';
import { readChain } from './read.ts';
import { readAnchor } from './segments.ts';

export type VerifyResult =
  | {
      ok: true;
      entries: number;
      files: number;
      head: { seq: number; hash: string };
      from: { seq: number; hash: string };
      headsMatched: number;
      headsBeforeRetention: number;
    }
  | { ok: false; entries: number; badSeq: number | null; file: string; line: number; problem: string };

/**
 * Walks the whole chain, across rotated segments, and names the first entry that does not follow
 * from the one before. After retention the chain starts at the anchor, and the anchor must itself
 * be vouched for by an `audit-pruned` entry in the chain: an anchor moved by hand does not verify.
 */
export async function verifyAudit(
  dir: string,
  opts: { heads?: ReadonlyArray<{ seq: number; hash: string; at?: string }> } = {},
): Promise<VerifyResult> {
  const anchor = await readAnchor(dir);
  // heads the agency archived: the entry at each one's seq must have its hash, and the chain must reach it
  const heads = new Map((opts.heads ?? []).filter((h) => h.seq > (anchor?.seq ?? 0)).map((h) => [h.seq, h]));
  const headsBeforeRetention = (opts.heads ?? []).length - heads.size;
  let headsMatched = 0;
  let prev = anchor?.hash ?? GENESIS;
  let seq = anchor?.seq ?? 0;
  let entries = 0;
  let anchorVouched = anchor === null;
  const files = new Set<string>();
  let last = { file: 'audit.jsonl', line: 0 };
  const chain = readChain(dir);
  for (;;) {
    const next = await chain.next();
    if (next.done) {
      if (next.value.corrupt)
        return { ok: false, entries, badSeq: null, file: last.file, line: last.line + 1, problem: next.value.corrupt };
      break;
    }
    const { file, line, entry } = next.value;
    last = { file, line };
    files.add(file);
    const e = entry as AuditEntry;
    const bad = (problem: string): VerifyResult => ({
      ok: false,
      entries,
      badSeq: typeof e?.seq === 'number' ? e.seq : null,
      file,
      line,
      problem,
    });
    if (!e || typeof e !== 'object' || typeof e.hash !== 'string') return bad('not an audit entry');
    if (e.seq !== seq + 1) return bad(`sequence jumps from ${seq} to ${e.seq}: entries were removed or reordered`);
    if (e.prev !== prev) return bad("does not point at the previous entry's hash");
    if (entryHash(e) !== e.hash) return bad('its content does not match its hash: the entry was altered');
    const archived = heads.get(e.seq);
    if (archived && archived.hash !== e.hash) {
      return bad(
        `does not match the head the agency archived for entry #${e.seq}${archived.at ? ` (${archived.at})` : ''}: the chain was rewritten here or before`,
      );
    }
    if (archived) headsMatched++;
    if (
      e.event.type === 'audit-pruned' &&
      anchor &&
      e.event.throughSeq === anchor.seq &&
      e.event.throughHash === anchor.hash
    )
      anchorVouched = true;
    prev = e.hash;
    seq = e.seq;
    entries++;
  }
  if (!anchorVouched) {
    return {
      ok: false,
      entries,
      badSeq: null,
      file: 'anchor.json',
      line: 1,
      problem: `the chain starts after entry #${anchor!.seq}, but no entry records that retention removed it: older entries were deleted by hand`,
    };
  }
  const beyond = [...heads.keys()].filter((s) => s > seq).sort((a, b) => b - a)[0];
  if (beyond !== undefined) {
    return {
      ok: false,
      entries,
      badSeq: seq + 1,
      file: last.file,
      line: last.line + 1,
      problem: `the chain ends at entry #${seq}, but the agency archived a head for entry #${beyond}: entries after #${seq} were removed`,
    };
  }
  return {
    ok: true,
    entries,
    files: files.size,
    head: { seq, hash: prev },
    from: { seq: anchor?.seq ?? 0, hash: anchor?.hash ?? GENESIS },
    headsMatched,
    headsBeforeRetention,
  };
}
