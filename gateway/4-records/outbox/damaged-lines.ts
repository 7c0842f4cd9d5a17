import { salvage, type LostRecord } from './replay.ts';
import type { DamagedLine } from './segment-scan.ts';

/** A bound on the seqs one damaged stretch is taken to hold, against a nonsense seq the damage wrote. */
const MAX_SEQS = 1000;

/**
 * The records damaged lines held that no other line accounts for (a put elsewhere, an ack, a drop).
 * Seqs within a file are consecutive, so every seq between the put before a damaged line and the next
 * legible put (or the next file's first seq) was in a damaged line. After the last legible put of the
 * newest file nothing bounds them, so what a line shows is taken: as many seqs after the put before it
 * as it shows records' remains, and the seqs it names (a damaged ack or drop loses nothing).
 * Each seq is lost once, however many damaged lines could have held it.
 */
export function lostRecords(
  lines: DamagedLine[],
  isAccounted: (seq: number) => boolean,
): Map<number, { record: LostRecord; line: DamagedLine }> {
  const lost = new Map<number, { record: LostRecord; line: DamagedLine }>();
  for (const line of lines) {
    for (const seq of seqsHeld(line)) {
      if (isAccounted(seq)) continue;
      const record = recordOf(line, seq);
      const known = lost.get(seq);
      if (!known || (known.record.id === null && record.id !== null)) lost.set(seq, { record, line });
    }
  }
  return new Map([...lost].sort(([a], [b]) => a - b));
}

/** The seqs a damaged line may have held (see lostRecords). */
export function seqsHeld(line: DamagedLine): Set<number> {
  const from = line.after + 1;
  const until = Math.min(line.before, from + MAX_SEQS);
  const seqs = new Set<number>();
  if (Number.isFinite(line.before)) for (let seq = from; seq < until; seq++) seqs.add(seq);
  else for (let seq = from; seq < from + Math.min(line.records, MAX_SEQS); seq++) seqs.add(seq);
  for (const p of line.puts) if (p.seq >= from && p.seq < until) seqs.add(p.seq);
  return seqs;
}

/** What can be read of the record a damaged line held at this seq: its id and device, when legible. */
function recordOf(line: DamagedLine, seq: number): LostRecord {
  const text = line.puts.find((p) => p.seq === seq)?.text ?? (seq === line.after + 1 ? line.lead : '');
  const what = salvage({ line: line.line, text });
  return what === 'not-a-put' ? { id: null, key: null, line: line.line } : what;
}
