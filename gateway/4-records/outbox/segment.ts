import { join } from 'node:path';

/** The key of a seq with no readable record: a damaged line, or a put whose write failed. Always settled. */
export const NO_RECORD = 0xffffffff;

/** Device ids as small numbers, so the index holds two bytes per record instead of a string. */
export class KeyTable {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  of(key: string): number {
    let i = this.ids.get(key);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(key, i);
      this.names.push(key);
    }
    return i;
  }

  name(i: number): string {
    return this.names[i] ?? 'unknown';
  }
}

/** A segment's index as arrays of `count` records each; put times in whole seconds, rounded up. */
export interface SegmentArrays {
  offsets: Uint32Array;
  lens: Uint32Array;
  /** KeyTable numbers, NO_RECORD for a seq without a record */
  keys: Uint32Array;
  atSeconds: Uint32Array;
}

const NAME = /^seg-(\d{16})\.log$/;

export function segmentFile(dir: string, first: number): string {
  return join(dir, `seg-${String(first).padStart(16, '0')}.log`);
}

/** The first seq of a segment file, from its name, or null for any other file. */
export function segmentFirst(name: string): number | null {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : null;
}

/** A put time as the index holds it: whole seconds, rounded up, so the age bound never drops a record early. */
function toIndexSeconds(at: number): number {
  return Math.min(0xffffffff, Math.max(0, Math.ceil(at / 1000)));
}

/** Numbers in two bytes each while they fit, four after (device numbers, line lengths). */
type SmallArray = Uint16Array | Uint32Array;
const NO_KEY16 = 0xffff;

/** Two-byte device numbers as four-byte ones, NO_RECORD kept. */
function widen(keys: Uint16Array): Uint32Array {
  return Uint32Array.from(keys, (k) => (k === NO_KEY16 ? NO_RECORD : k));
}

/** Line lengths in two bytes while every one fits. */
function narrowLengths(lens: Uint32Array): SmallArray {
  return lens.every((l) => l <= 0xffff) ? Uint16Array.from(lens) : lens;
}

/** Where a sealed segment's lines are and when they were put: read from its index file when needed. */
export interface SegmentPlaces {
  offsets: Uint32Array;
  atSeconds: Uint32Array;
}

/**
 * The in-memory index of one segment file: for each seq from `first`, where its line is, its
 * device, when it was put, and whether it is settled (delivered or dropped). Typed arrays, so two
 * million pending records cost tens of MB, not a JavaScript object each. A sealed segment whose
 * index file is written can be made cold (`cool`): it then keeps only what settling and taking in
 * turn need (devices, lengths, settled bits: about 4 bytes a record) and reads its offsets and put
 * times back from the index file (`warm`) when its records are read or may have expired.
 */
export class Segment {
  /** null while cold */
  private offsets: Uint32Array | null;
  private lens: SmallArray;
  private keyIdx: SmallArray;
  /** null while cold */
  private putAt: Uint32Array | null;
  private bits: Uint8Array;
  count = 0;
  /** records neither delivered nor dropped, and their bytes in the file */
  live = 0;
  liveBytes = 0;
  /** reads under way: the file is not deleted under them, nor is the segment made cold */
  readers = 0;
  /** seqs settled by lines in this file (acks, drops): written into its index when it is sealed */
  settles: number[] = [];
  /** the earliest and latest put times of its records, whole seconds (0 when it has none) */
  private oldestPut = 0;
  private newestPut = 0;
  private low = 0;

  constructor(
    readonly dir: string,
    readonly first: number,
    capacity = 256,
  ) {
    this.offsets = new Uint32Array(capacity);
    this.lens = new Uint16Array(capacity);
    this.keyIdx = new Uint16Array(capacity);
    this.putAt = new Uint32Array(capacity);
    this.bits = new Uint8Array(Math.ceil(capacity / 8));
  }

  /** Rebuilds an index read from disk (arrays of exactly `count` records). */
  static from(dir: string, first: number, { offsets, lens, keys, atSeconds }: SegmentArrays): Segment {
    const s = new Segment(dir, first, 0);
    s.offsets = offsets;
    s.lens = narrowLengths(lens);
    const narrow = keys.every((k) => k === NO_RECORD || k < NO_KEY16);
    s.keyIdx = narrow ? Uint16Array.from(keys, (k) => (k === NO_RECORD ? NO_KEY16 : k)) : keys;
    s.putAt = atSeconds;
    s.count = keys.length;
    s.bits = new Uint8Array(Math.ceil(s.count / 8));
    for (let i = 0; i < s.count; i++) {
      if (keys[i] === NO_RECORD) s.bits[i >> 3]! |= 1 << (i & 7);
      else {
        s.live++;
        s.liveBytes += lens[i]!;
        s.notePut(atSeconds[i]!);
      }
    }
    return s;
  }

  get path(): string {
    return segmentFile(this.dir, this.first);
  }

  get indexPath(): string {
    return this.path.replace(/\.log$/, '.idx');
  }

  /** one past the last seq */
  get end(): number {
    return this.first + this.count;
  }

  /** Adds the record with this seq, whose line starts at `offset`; seqs skipped before it become NO_RECORD. */
  add(seq: number, offset: number, bytes: number, key: number, at: number): void {
    while (this.end < seq) this.push(offset, 0, NO_RECORD, at);
    this.push(offset, bytes, key, at);
  }

  private push(offset: number, bytes: number, key: number, at: number): void {
    if (!this.isWarm) throw new Error(`outbox segment ${this.first} is sealed`);
    if (this.count === this.keyIdx.length) this.grow();
    const offsets = this.offsets!;
    const putAt = this.putAt!;
    if (key !== NO_RECORD && key >= NO_KEY16 && this.keyIdx instanceof Uint16Array) this.keyIdx = widen(this.keyIdx);
    if (bytes > 0xffff && this.lens instanceof Uint16Array) this.lens = Uint32Array.from(this.lens);
    const i = this.count++;
    offsets[i] = offset;
    this.lens[i] = bytes;
    this.keyIdx[i] = key === NO_RECORD ? this.noKey : key;
    putAt[i] = toIndexSeconds(at);
    if (key === NO_RECORD) this.bits[i >> 3]! |= 1 << (i & 7);
    else {
      this.live++;
      this.liveBytes += bytes;
      this.notePut(putAt[i]!);
    }
  }

  private notePut(seconds: number): void {
    if (this.oldestPut === 0 || seconds < this.oldestPut) this.oldestPut = seconds;
    if (seconds > this.newestPut) this.newestPut = seconds;
  }

  private get noKey(): number {
    return this.keyIdx instanceof Uint16Array ? NO_KEY16 : NO_RECORD;
  }

  private grow(): void {
    const n = Math.max(256, this.keyIdx.length * 2);
    const bigger = <T extends Uint8Array | SmallArray>(a: T, size = n): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.offsets = bigger(this.offsets!);
    this.lens = bigger(this.lens);
    this.keyIdx = bigger(this.keyIdx);
    this.putAt = bigger(this.putAt!);
    this.bits = bigger(this.bits, Math.ceil(n / 8));
  }

  /** Gives back the spare capacity of a segment that takes no more records. */
  seal(): void {
    this.offsets = this.offsets?.slice(0, this.count) ?? null;
    this.lens = this.lens.slice(0, this.count);
    this.keyIdx = this.keyIdx.slice(0, this.count);
    this.putAt = this.putAt?.slice(0, this.count) ?? null;
    this.bits = this.bits.slice(0, Math.ceil(this.count / 8));
  }

  /** true while its offsets and put times are in memory */
  get isWarm(): boolean {
    return this.offsets !== null && this.putAt !== null;
  }

  /** Forgets its offsets and put times; only for a sealed segment whose index file holds them. */
  cool(): void {
    if (this.readers > 0) return;
    this.offsets = null;
    this.putAt = null;
  }

  /** Takes back its offsets and put times, as read from its index file or a scan of the segment. */
  warm({ offsets, atSeconds }: SegmentPlaces): void {
    if (offsets.length !== this.count || atSeconds.length !== this.count)
      throw new Error(`outbox segment ${this.first}: its index does not match it`);
    this.offsets = offsets;
    this.putAt = atSeconds;
  }

  isSettled(seq: number): boolean {
    const i = seq - this.first;
    return (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Marks a seq delivered or dropped; false if it already was. */
  settle(seq: number): boolean {
    if (this.isSettled(seq)) return false;
    const i = seq - this.first;
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.live--;
    this.liveBytes -= this.bytesOf(seq);
    return true;
  }

  /** its KeyTable number, or NO_RECORD */
  key(seq: number): number {
    const k = this.keyIdx[seq - this.first]!;
    return k === this.noKey ? NO_RECORD : k;
  }

  /** when it was put, ms since the epoch, to the second (rounded up); only while warm */
  at(seq: number): number {
    return this.warmArray(this.putAt)[seq - this.first]! * 1000;
  }

  /** only while warm */
  offsetOf(seq: number): number {
    return this.warmArray(this.offsets)[seq - this.first]!;
  }

  private warmArray(a: Uint32Array | null): Uint32Array {
    if (!a) throw new Error(`outbox segment ${this.first} is cold: warm it first`);
    return a;
  }

  /** the bytes of its line, the newline included */
  bytesOf(seq: number): number {
    return this.lens[seq - this.first]!;
  }

  /** The latest put time of its records (0 when it has none), ms since the epoch. */
  newestAt(): number {
    return this.newestPut * 1000;
  }

  /** The earliest put time of its records (0 when it has none), ms since the epoch. */
  oldestAt(): number {
    return this.oldestPut * 1000;
  }

  /** The oldest seq not yet settled, or null. */
  firstLive(): number | null {
    while (this.low < this.count && (this.bits[this.low >> 3]! & (1 << (this.low & 7))) !== 0) this.low++;
    return this.low < this.count ? this.first + this.low : null;
  }

  /** The index as stored beside a sealed segment (segment-index.ts); only while warm. */
  arrays(): SegmentArrays {
    const n = this.count;
    const keys = this.keyIdx instanceof Uint32Array ? this.keyIdx.subarray(0, n) : widen(this.keyIdx.subarray(0, n));
    return {
      offsets: this.warmArray(this.offsets).subarray(0, n),
      lens: this.lens instanceof Uint32Array ? this.lens.subarray(0, n) : Uint32Array.from(this.lens.subarray(0, n)),
      keys,
      atSeconds: this.warmArray(this.putAt).subarray(0, n),
    };
  }
}
