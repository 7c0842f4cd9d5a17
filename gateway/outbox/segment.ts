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

/** Device numbers in two bytes each while the KeyTable has fewer than 65,535 devices, four after. */
type KeyArray = Uint16Array | Uint32Array;
const NO_KEY16 = 0xffff;

/** Two-byte device numbers as four-byte ones, NO_RECORD kept. */
function widen(keys: Uint16Array): Uint32Array {
  return Uint32Array.from(keys, (k) => (k === NO_KEY16 ? NO_RECORD : k));
}

/**
 * The in-memory index of one segment file: for each seq from `first`, where its line is, its
 * device, when it was put, and whether it is settled (delivered or dropped). Typed arrays, about
 * 14 bytes a record, so two million pending records cost tens of MB, not a JavaScript object each.
 */
export class Segment {
  private offsets: Uint32Array;
  private lens: Uint32Array;
  private keyIdx: KeyArray;
  private putAt: Uint32Array;
  private bits: Uint8Array;
  count = 0;
  /** records neither delivered nor dropped, and their bytes in the file */
  live = 0;
  liveBytes = 0;
  /** reads under way: the file is not deleted under them */
  readers = 0;
  /** seqs settled by lines in this file (acks, drops): written into its index when it is sealed */
  settles: number[] = [];
  private low = 0;

  constructor(
    readonly dir: string,
    readonly first: number,
    capacity = 256,
  ) {
    this.offsets = new Uint32Array(capacity);
    this.lens = new Uint32Array(capacity);
    this.keyIdx = new Uint16Array(capacity);
    this.putAt = new Uint32Array(capacity);
    this.bits = new Uint8Array(Math.ceil(capacity / 8));
  }

  /** Rebuilds an index read from disk (arrays of exactly `count` records). */
  static from(dir: string, first: number, { offsets, lens, keys, atSeconds }: SegmentArrays): Segment {
    const s = new Segment(dir, first, 0);
    s.offsets = offsets;
    s.lens = lens;
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
    if (this.count === this.keyIdx.length) this.grow();
    if (key !== NO_RECORD && key >= NO_KEY16 && this.keyIdx instanceof Uint16Array) this.keyIdx = widen(this.keyIdx);
    const i = this.count++;
    this.offsets[i] = offset;
    this.lens[i] = bytes;
    this.keyIdx[i] = key === NO_RECORD ? this.noKey : key;
    this.putAt[i] = toIndexSeconds(at);
    if (key === NO_RECORD) this.bits[i >> 3]! |= 1 << (i & 7);
    else {
      this.live++;
      this.liveBytes += bytes;
    }
  }

  private get noKey(): number {
    return this.keyIdx instanceof Uint16Array ? NO_KEY16 : NO_RECORD;
  }

  private grow(): void {
    const n = Math.max(256, this.keyIdx.length * 2);
    const offsets = new Uint32Array(n);
    offsets.set(this.offsets);
    const lens = new Uint32Array(n);
    lens.set(this.lens);
    const keys = this.keyIdx instanceof Uint16Array ? new Uint16Array(n) : new Uint32Array(n);
    keys.set(this.keyIdx);
    const at = new Uint32Array(n);
    at.set(this.putAt);
    const bits = new Uint8Array(Math.ceil(n / 8));
    bits.set(this.bits);
    [this.offsets, this.lens, this.keyIdx, this.putAt, this.bits] = [offsets, lens, keys, at, bits];
  }

  /** Gives back the spare capacity of a segment that takes no more records. */
  seal(): void {
    this.offsets = this.offsets.slice(0, this.count);
    this.lens = this.lens.slice(0, this.count);
    this.keyIdx = this.keyIdx.slice(0, this.count);
    this.putAt = this.putAt.slice(0, this.count);
    this.bits = this.bits.slice(0, Math.ceil(this.count / 8));
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

  /** when it was put, ms since the epoch, to the second (rounded up) */
  at(seq: number): number {
    return this.putAt[seq - this.first]! * 1000;
  }

  offsetOf(seq: number): number {
    return this.offsets[seq - this.first]!;
  }

  /** the bytes of its line, the newline included */
  bytesOf(seq: number): number {
    return this.lens[seq - this.first]!;
  }

  /** The latest put time of its records (0 when it has none), ms since the epoch. */
  newestAt(): number {
    let max = 0;
    const none = this.noKey;
    for (let i = 0; i < this.count; i++) if (this.keyIdx[i] !== none && this.putAt[i]! > max) max = this.putAt[i]!;
    return max * 1000;
  }

  /** The oldest seq not yet settled, or null. */
  firstLive(): number | null {
    while (this.low < this.count && (this.bits[this.low >> 3]! & (1 << (this.low & 7))) !== 0) this.low++;
    return this.low < this.count ? this.first + this.low : null;
  }

  /** The index as stored beside a sealed segment (segment-index.ts). */
  arrays(): SegmentArrays {
    const n = this.count;
    const keys = this.keyIdx instanceof Uint32Array ? this.keyIdx.subarray(0, n) : widen(this.keyIdx.subarray(0, n));
    return {
      offsets: this.offsets.subarray(0, n),
      lens: this.lens.subarray(0, n),
      keys,
      atSeconds: this.putAt.subarray(0, n),
    };
  }
}
