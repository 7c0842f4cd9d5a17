import { readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseSegmentLine } from './segment-lines.ts';
import { Segment, type KeyTable } from './segment.ts';

export interface DamagedLine {
  /** its line number in the file, from 1 */
  line: number;
  /** what comes before the first put it names (at most 4 KiB): what is left of a put whose start is damaged */
  lead: string;
  /** the puts it names, each with its text (at most 4 KiB): damage that overwrote a newline merges lines */
  puts: Array<{ seq: number; text: string }>;
  /** how many records' remains it shows: each field name of a record appears once per record */
  records: number;
  /** the seqs it may have held lie between the put before it and the put after it (or the next file's first) */
  after: number;
  before: number;
}

const SALVAGE_CHARS = 4096;
// without its brace, which the damage may have taken
const NAMED_PUT = /"s":(\d{1,15}),"e":/g;

// a record's field names, unescaped: inside its strings a quote is always escaped
const FIELD_NAMES = ['"id":', '"topic":', '"payload":', '"key":', '"at":'];

function damagedLine(line: number, text: string, after: number): DamagedLine {
  const named = [...text.matchAll(NAMED_PUT)];
  return {
    line,
    lead: text.slice(0, Math.min(named[0]?.index ?? text.length, SALVAGE_CHARS)),
    puts: named.map((m) => ({ seq: Number(m[1]), text: text.slice(m.index, m.index + SALVAGE_CHARS) })),
    records: Math.max(named.length, ...FIELD_NAMES.map((f) => text.split(f).length - 1)),
    after,
    before: Number.POSITIVE_INFINITY,
  };
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
 * when its index file is missing or damaged. A damaged line is kept in the file and reported. The
 * head's unfinished last line is a power cut mid-write (its put was never synced, so never
 * acknowledged) and is cut off; a sealed file was whole when it was sealed, so there a last line
 * without its line break is damage, read like any other line.
 */
export async function scanSegment(
  path: string,
  first: number,
  keys: KeyTable,
  { sealed }: { sealed: boolean },
): Promise<ScannedSegment> {
  const buf = await readFile(path);
  const segment = new Segment(dirname(path), first);
  const settles: number[] = [];
  const damaged: DamagedLine[] = [];
  const open: DamagedLine[] = [];
  let start = 0;
  let line = 0;
  const lastEnd = sealed ? buf.length : buf.lastIndexOf(0x0a) + 1;
  while (start < lastEnd) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    line++;
    const text = buf.toString('utf8', start, end);
    const parsed = parseSegmentLine(text);
    if (parsed && 's' in parsed && parsed.s >= segment.end) {
      // its length counts the line break, there or not: readers take it off
      segment.add(parsed.s, start, end + 1 - start, keys.of(parsed.e.key), parsed.e.at);
      for (const d of open.splice(0)) d.before = parsed.s;
    } else if (parsed && 'ack' in parsed) settles.push(parsed.ack);
    else if (parsed && 'drop' in parsed) settles.push(parsed.drop);
    else {
      // damaged, or a put out of order (not something this code writes): neither is trusted.
      // A file's first seq is its own and never a put's (newSegment).
      const d = damagedLine(line, text, Math.max(segment.end - 1, first));
      damaged.push(d);
      open.push(d);
    }
    start = end + 1;
  }
  const tornBytes = buf.length - lastEnd;
  if (tornBytes > 0) await truncate(path, lastEnd);
  return { segment, settles, damaged, tornBytes, fileBytes: lastEnd };
}
