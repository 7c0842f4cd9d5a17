import { readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseSegmentLine } from './segment-lines.ts';
import { Segment, type KeyTable } from './segment.ts';

export interface DamagedLine {
  /** its line number in the file, from 1 */
  line: number;
  /** its first 4 KiB, to salvage the record id and device it names */
  text: string;
  /** the seqs it may have held: after the put before it and before the put after it */
  after: number;
  before: number;
}

export interface ScannedSegment {
  segment: Segment;
  /** seqs settled by ack and drop lines in this file */
  settles: number[];
  damaged: DamagedLine[];
  /** a torn last line (a power cut mid-write), cut off */
  tornBytes: number;
  /** the file's size once that is cut off */
  fileBytes: number;
}

/**
 * Reads a whole segment file and indexes it: the head segment at every start, a sealed one only
 * when its index file is missing or damaged. A torn last line is cut off; a damaged line in the
 * middle is kept in the file and reported.
 */
export async function scanSegment(path: string, first: number, keys: KeyTable): Promise<ScannedSegment> {
  const buf = await readFile(path);
  const segment = new Segment(dirname(path), first);
  const settles: number[] = [];
  const damaged: DamagedLine[] = [];
  const open: DamagedLine[] = [];
  let start = 0;
  let line = 0;
  for (let nl = buf.indexOf(0x0a, start); nl >= 0; start = nl + 1, nl = buf.indexOf(0x0a, start)) {
    line++;
    const text = buf.toString('utf8', start, nl);
    const parsed = parseSegmentLine(text);
    if (parsed && 's' in parsed && parsed.s >= segment.end) {
      segment.add(parsed.s, start, nl + 1 - start, keys.of(parsed.e.key), parsed.e.at);
      for (const d of open.splice(0)) d.before = parsed.s;
    } else if (parsed && 'ack' in parsed) settles.push(parsed.ack);
    else if (parsed && 'drop' in parsed) settles.push(parsed.drop);
    else {
      // damaged, or a put out of order (not something this code writes): neither is trusted
      const d = { line, text: text.slice(0, 4096), after: segment.end - 1, before: Number.POSITIVE_INFINITY };
      damaged.push(d);
      open.push(d);
    }
  }
  const tornBytes = buf.length - start;
  if (tornBytes > 0) await truncate(path, start);
  return { segment, settles, damaged, tornBytes, fileBytes: start };
}
