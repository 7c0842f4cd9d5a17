import { crc32 } from 'node:zlib';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { NO_RECORD, Segment, type KeyTable, type SegmentArrays, type SegmentPlaces } from './segment.ts';
import { scanSegment } from './segment-scan.ts';

// 02: put times in whole seconds (four bytes); an 01 index is not read, so its segment is scanned and indexed again
const MAGIC = Buffer.from('VGOBXI02');

/**
 * The index file beside a sealed segment, so a start reads a few bytes per record instead of
 * parsing every line: the records' offsets, devices and put times (whole seconds), and the seqs its ack and drop
 * lines settle. Written once, when the segment is sealed, and not synced: one that is missing,
 * torn or does not match its segment is rebuilt from the segment (segment-scan.ts).
 * Typed arrays are stored as the machine holds them (little-endian on every target).
 */
export async function writeSegmentIndex(segment: Segment, keys: KeyTable, fileBytes: number): Promise<void> {
  const { offsets, lens, keys: keyIdx, atSeconds } = segment.arrays();
  const local = new Map<number, number>();
  const names: string[] = [];
  const localKeys = new Uint32Array(keyIdx.length);
  for (let i = 0; i < keyIdx.length; i++) {
    const k = keyIdx[i]!;
    if (k === NO_RECORD) {
      localKeys[i] = NO_RECORD;
      continue;
    }
    let l = local.get(k);
    if (l === undefined) {
      local.set(k, (l = names.length));
      names.push(keys.name(k));
    }
    localKeys[i] = l;
  }
  const namesBuf = Buffer.from(JSON.stringify(names));
  const head = Buffer.alloc(16);
  head.writeUInt32LE(segment.count, 0);
  head.writeUInt32LE(namesBuf.length, 4);
  head.writeUInt32LE(segment.settles.length, 8);
  head.writeUInt32LE(fileBytes, 12);
  const body = Buffer.concat([
    MAGIC,
    head,
    namesBuf,
    bytesOf(offsets),
    bytesOf(lens),
    bytesOf(localKeys),
    bytesOf(atSeconds),
    bytesOf(Float64Array.from(segment.settles)),
  ]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(body));
  await writeFile(segment.indexPath, Buffer.concat([body, sum]));
}

interface ParsedIndex extends SegmentArrays {
  /** device names, by the local numbers in `keys` */
  names: string[];
  settles: Float64Array;
}

/** An index file's contents; null when it is missing, damaged or does not match the segment file. */
async function readIndexFile(probe: Segment): Promise<ParsedIndex | null> {
  let buf: Buffer;
  let fileBytes: number;
  try {
    [buf, fileBytes] = await Promise.all([readFile(probe.indexPath), stat(probe.path).then((s) => s.size)]);
  } catch {
    return null;
  }
  if (buf.length < MAGIC.length + 20 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) return null;
  let at = MAGIC.length;
  const count = buf.readUInt32LE(at);
  const namesLen = buf.readUInt32LE(at + 4);
  const settleCount = buf.readUInt32LE(at + 8);
  const size = buf.readUInt32LE(at + 12);
  at += 16;
  if (size !== fileBytes || buf.length !== at + namesLen + 16 * count + 8 * settleCount + 4) return null;
  let names: string[];
  try {
    names = JSON.parse(buf.toString('utf8', at, at + namesLen)) as string[];
  } catch {
    return null;
  }
  at += namesLen;
  const take = <T>(n: number, make: (b: ArrayBuffer) => T): T => {
    // copied out: typed arrays need their own aligned buffer
    const b = new Uint8Array(buf.subarray(at, at + n)).buffer;
    at += n;
    return make(b);
  };
  const offsets = take(4 * count, (b) => new Uint32Array(b));
  const lens = take(4 * count, (b) => new Uint32Array(b));
  const keys = take(4 * count, (b) => new Uint32Array(b));
  const atSeconds = take(4 * count, (b) => new Uint32Array(b));
  const settles = take(8 * settleCount, (b) => new Float64Array(b));
  return { names, offsets, lens, keys, atSeconds, settles };
}

/** Reads a segment's index; null when it is missing, damaged or does not match the segment file. */
export async function readSegmentIndex(
  dir: string,
  first: number,
  keys: KeyTable,
): Promise<{ segment: Segment; settles: Float64Array } | null> {
  const parsed = await readIndexFile(new Segment(dir, first, 0));
  if (!parsed) return null;
  const { names, keys: localKeys, settles } = parsed;
  const global = names.map((n) => keys.of(n));
  for (let i = 0; i < localKeys.length; i++) {
    const l = localKeys[i]!;
    if (l !== NO_RECORD) {
      const g = global[l];
      if (g === undefined) return null;
      localKeys[i] = g;
    }
  }
  return { segment: Segment.from(dir, first, parsed), settles };
}

/**
 * A cold segment's offsets and put times, from its index file, or from a scan of the segment when
 * that file has gone bad since the start. Throws when neither matches the segment as it is held.
 */
export async function readSegmentPlaces(segment: Segment, keys: KeyTable): Promise<SegmentPlaces> {
  const parsed = await readIndexFile(segment);
  if (parsed && parsed.keys.length === segment.count) return parsed;
  const { segment: scanned } = await scanSegment(segment.path, segment.first, keys, { sealed: true });
  if (scanned.count !== segment.count) throw new Error(`outbox segment ${segment.first}: its index and file disagree`);
  const { offsets, atSeconds } = scanned.arrays();
  return { offsets, atSeconds };
}

function bytesOf(a: Uint32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
