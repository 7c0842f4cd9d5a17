import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { JsonlLog, type JsonlLogOptions } from '../../foundation/storage/jsonl-log.ts';
import { syncDir } from '../../foundation/storage/sync-dir.ts';
import { salvage, type LostRecord } from './replay.ts';
import { OutboxFullError, type OutboxDropReason } from './drops.ts';
import { DeviceQueues } from './device-queues.ts';
import { KeyTable, NO_RECORD, Segment, segmentFile, segmentFirst } from './segment.ts';
import { readSegmentIndex, writeSegmentIndex } from './segment-index.ts';
import { SegmentReader } from './segment-reader.ts';
import { WarmSegments } from './warm-segments.ts';
import { scanSegment, type DamagedLine } from './segment-scan.ts';
import { lostRecords, seqsHeld } from './damaged-lines.ts';
import { parseSegmentLine, putLine } from './segment-lines.ts';
import { migrateLegacyOutbox } from './legacy.ts';

/** An approved record waiting to go upstream. `payload` is the exact JSON that will be published. */
export interface OutboxEntry {
  id: string;
  topic: string;
  payload: string;
  /** records with the same key (the device) are delivered in the order they were put */
  key: string;
  /** when it was put, ms since the epoch: for the age bound and the oldest-entry metric */
  at: number;
}

/** A pending entry as handed to the uplink: `seq` is what it acknowledges. */
export interface PendingEntry extends OutboxEntry {
  seq: number;
}

/** A record dropped before delivery; its id is `unreadable (...)` when its line was damaged. */
export interface DroppedRecord {
  id: string;
  key: string;
  seq: number;
}

export interface OutboxBounds {
  maxBytes: number;
  maxAgeSeconds: number;
  whenFull: 'refuse-new' | 'drop-oldest';
}

export type OutboxEvents = {
  put: [];
  dropped: [record: DroppedRecord, reason: OutboxDropReason];
  /** housekeeping failed (disk full, I/O error): nothing is lost, the files are only larger than they need to be */
  problem: [error: Error];
};

/** What any outbox must do; the uplink only sees this. */
export interface OutboxStore extends EventEmitter<OutboxEvents> {
  /** resolves once the entry is on disk; rejects (OutboxFullError) when full and refusing new entries */
  put(entry: OutboxEntry): Promise<void>;
  /**
   * up to `max` pending entries not handed out since the last rewind: the devices in turn, each device's in put order
   */
  take(max: number): Promise<PendingEntry[]>;
  /** hands out every pending entry again (after the uplink reconnects) */
  rewind(): void;
  /** the entry was delivered */
  ack(seq: number): void;
  readonly size: number;
  readonly bytes: number;
  /** put time of the oldest pending entry, or null when empty */
  readonly oldestAt: number | null;
  close(): Promise<void>;
}

export interface OutboxOptions extends JsonlLogOptions {
  /** a segment file is sealed, and a new one started, past this size */
  segmentBytes?: number;
  /** puts made at or after this time are returned in `recentPuts`, delivered or not (for audit recovery) */
  recentSince?: number;
}

export interface OutboxRecovery {
  entries: number;
  tornBytes: number;
  corruptLines: number;
  /** approved records whose lines were damaged and that were never delivered: each is an OUTBOX_CORRUPT drop */
  lost: LostRecord[];
  /** where a damaged segment was copied before the gateway went on, or null */
  quarantined: string | null;
  /** sealed segments opened through their index files, and those whose index had to be rebuilt by reading them whole */
  readIndexes: number;
  rebuiltIndexes: number;
}

const SEGMENT_BYTES = 8 * 1024 * 1024;
/** after a failed roll to a new segment (a full disk), how long before the next try */
const ROLL_RETRY_MS = 30_000;
/**
 * how many batches of acknowledgements (one per turn of the event loop) may wait before they are written: a kill -9
 * sends at most these again
 */
const LAZY_MAX_LINES = 64;
/** the most bytes a put line adds around its entry: `{"s":<seq>,"e":` ... `,"c":<crc>}\n` */
const LINE_OVERHEAD = 44;
const UNBOUNDED: OutboxBounds = {
  maxBytes: Number.MAX_SAFE_INTEGER,
  maxAgeSeconds: Number.MAX_SAFE_INTEGER,
  whenFull: 'refuse-new',
};

/**
 * The durable outbox, kept on disk so memory does not grow with the backlog: records are appended
 * to segment files with group-committed fdatasync, and only a small index per record is held in
 * memory (segment.ts); records are read back as they are sent. `put` resolves only when the record
 * is on disk, so a QoS 1 PUBACK sent after it cannot lose it. Acknowledgements are appended lazily
 * to the same file: losing one in a power cut only sends that record again, and receivers drop
 * duplicates by id. A segment is deleted, oldest first, once every record in it is settled, so the
 * files hold the pending records and those delivered since the oldest of them was put.
 * See docs/architecture.md, "The outbox".
 */
export class DurableOutbox extends EventEmitter<OutboxEvents> implements OutboxStore {
  private readonly keys = new KeyTable();
  /** oldest first; the last is the head, which takes new records */
  private segments: Segment[] = [];
  private head!: Segment;
  private log!: JsonlLog;
  private nextSeq = 0;
  private readonly queues = new DeviceQueues((seq) => this.isSettled(seq));
  private readonly reader = new SegmentReader();
  private readonly warmth = new WarmSegments(this.keys);
  /** the put time of the oldest pending seq, as last looked up: a cold segment does not hold it */
  private oldestSeen: { seq: number; at: number } | null = null;
  /** set while the head is replaced: puts wait for it */
  private gate: Promise<void> | null = null;
  private rolling: Promise<void> | null = null;
  private rollAfter = 0;
  private forgetting: Promise<void> | null = null;
  private forgetAgain = false;
  /** bytes of puts admitted and not yet written, so concurrent puts cannot overshoot maxBytes together */
  private reserved = 0;
  private pendingCount = 0;
  /** acknowledged seqs whose lines are not yet handed to the log */
  private acks: number[] = [];
  private pendingBytes = 0;
  private syncsBefore = 0;
  recovered: OutboxRecovery = {
    entries: 0,
    tornBytes: 0,
    corruptLines: 0,
    lost: [],
    quarantined: null,
    readIndexes: 0,
    rebuiltIndexes: 0,
  };
  /** puts found at open that were made at or after `recentSince`, delivered or not (for audit recovery) */
  recentPuts: OutboxEntry[] = [];
  /**
   * Runs before delivered records are deleted, with the newest put time among them: the audit log
   * makes the decisions about them durable first, if its windows may still hold them.
   */
  beforeForget: ((newestAt: number) => Promise<void>) | null = null;
  readonly drops: Partial<Record<OutboxDropReason, number>> = {};
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    private readonly bounds: OutboxBounds,
    private readonly logOptions: JsonlLogOptions & { segmentBytes?: number },
  ) {
    super();
    this.segmentBytes = logOptions.segmentBytes ?? SEGMENT_BYTES;
  }

  /**
   * Opens the outbox: reads each sealed segment's index and scans the head segment. A damaged line
   * never stops the start: the segment is copied aside (`<segment>.corrupt-<time>`), the records
   * that can be read are kept, and each approved record that was lost is in `recovered.lost`.
   */
  static async open(dir: string, bounds: OutboxBounds = UNBOUNDED, opts: OutboxOptions = {}): Promise<DurableOutbox> {
    await mkdir(dir, { recursive: true });
    const { recentSince = Number.POSITIVE_INFINITY, ...logOptions } = opts;
    const box = new DurableOutbox(dir, bounds, { lazyMaxLines: LAZY_MAX_LINES, ...logOptions });
    await box.load(recentSince);
    const legacy = await migrateLegacyOutbox(dir, recentSince, (e) => box.put(e));
    if (legacy) {
      box.recentPuts.push(...legacy.recentPuts);
      box.recovered.tornBytes += legacy.tornBytes;
      box.recovered.corruptLines += legacy.corruptLines;
      box.recovered.lost.push(...legacy.lost);
      box.recovered.quarantined ??= legacy.quarantined;
      box.recovered.entries = box.size;
    }
    return box;
  }

  private async load(recentSince: number): Promise<void> {
    const names = await readdir(this.dir);
    for (const n of names) {
      // a crash between deleting a segment and its index, or while an index was written
      if ((n.endsWith('.idx') && !names.includes(n.replace(/\.idx$/, '.log'))) || n.endsWith('.tmp'))
        await rm(`${this.dir}/${n}`, { force: true });
    }
    const firsts = await this.withoutStrays(
      names
        .map(segmentFirst)
        .filter((f): f is number => f !== null)
        .sort((a, b) => a - b),
    );
    const settles: ArrayLike<number>[] = [];
    const damaged: Array<{ path: string; line: DamagedLine }> = [];
    let tornBytes = 0;
    let readIndexes = 0;
    let rebuiltIndexes = 0;
    let headBytes = 0;
    for (const [i, first] of firsts.entries()) {
      const isHead = i === firsts.length - 1;
      const indexed = isHead ? null : await readSegmentIndex(this.dir, first, this.keys);
      if (indexed) {
        readIndexes++;
        this.warmth.markIndexed(indexed.segment, { cold: true });
        this.segments.push(indexed.segment);
        settles.push(indexed.settles);
        continue;
      }
      const path = segmentFile(this.dir, first);
      const scanned = await scanSegment(path, first, this.keys, { sealed: !isHead });
      tornBytes += scanned.tornBytes;
      this.segments.push(scanned.segment);
      settles.push(scanned.settles);
      for (const line of scanned.damaged) {
        // the last damaged lines of a sealed file end where the next file begins
        if (!Number.isFinite(line.before) && !isHead) line.before = firsts[i + 1]!;
        damaged.push({ path, line });
      }
      // what its index will list when it is sealed (now, or as the head later)
      scanned.segment.settles = scanned.settles;
      if (isHead) headBytes = scanned.fileBytes;
      else {
        rebuiltIndexes++;
        await this.sealIndex(scanned.segment, scanned.fileBytes);
      }
    }
    const last = this.segments.at(-1);
    // a segment's first seq is its own even when it holds no record (newSegment)
    this.nextSeq = Math.max(0, ...this.segments.map((s) => Math.max(s.end, s.first + 1)));
    // which damaged lines held puts never settled: those records are lost
    const maybeLost = new Set(damaged.flatMap((d) => [...seqsHeld(d.line)]));
    const settled = new Set<number>();
    for (const list of settles) {
      for (let i = 0; i < list.length; i++) {
        const seq = list[i]!;
        if (maybeLost.has(seq)) settled.add(seq);
        this.segmentOf(seq)?.settle(seq);
      }
    }
    const lostBySeq = lostRecords(
      damaged.map((d) => d.line),
      (seq) => settled.has(seq) || (this.segmentOf(seq)?.key(seq) ?? NO_RECORD) !== NO_RECORD,
    );
    const lost = [...lostBySeq.values()].map((l) => l.record);
    const lostSeqs = [...lostBySeq.keys()];
    const pathOf = new Map(damaged.map((d) => [d.line, d.path]));
    const damagedFiles = new Set([...lostBySeq.values()].map((l) => pathOf.get(l.line)!));
    this.nextSeq = Math.max(this.nextSeq, ...lostSeqs.map((s) => s + 1));
    let quarantined: string | null = null;
    for (const path of damagedFiles) {
      const copy = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      // kept for a person to look at; a full disk must not stop the start, so a failed copy is only noted
      if (
        await copyFile(path, copy).then(
          () => true,
          () => false,
        )
      )
        quarantined ??= copy;
    }
    for (const s of this.segments) {
      for (let seq = s.first; seq < s.end; seq++) {
        if (s.isSettled(seq)) continue;
        this.queues.push(s.key(seq), seq);
        this.pendingCount++;
        this.pendingBytes += s.bytesOf(seq);
      }
    }
    this.recentPuts = await this.readRecent(recentSince);
    await this.openHead(last && headBytes < this.segmentBytes ? last : null, headBytes);
    // written so the next start does not count them again
    await Promise.all(lostSeqs.map((seq) => this.appendDrop(seq, 'OUTBOX_CORRUPT')));
    this.recovered = {
      entries: this.pendingCount,
      tornBytes,
      corruptLines: damaged.length,
      lost,
      quarantined,
      readIndexes,
      rebuiltIndexes,
    };
    this.maybeForget();
  }

  /**
   * A new segment whose roll failed after its file was made (its folder could not be synced) may be
   * left empty, with a first seq the old head went on to use: it holds nothing, and is deleted.
   */
  private async withoutStrays(firsts: number[]): Promise<number[]> {
    const kept: number[] = [];
    for (const [i, first] of firsts.entries()) {
      const path = segmentFile(this.dir, first);
      const next = firsts[i + 1];
      if ((await stat(path)).size === 0 && (next !== undefined || kept.length > 0)) await rm(path, { force: true });
      else kept.push(first);
    }
    return kept;
  }

  /** Opens the head for appending: the last segment found, or a new one. */
  private async openHead(last: Segment | null, bytes: number): Promise<void> {
    if (last) {
      this.head = last;
      this.log = new JsonlLog(last.path, this.logOptions);
      await this.log.openTailOnly();
      return;
    }
    const full = this.segments.at(-1);
    if (full) await this.sealIndex(full, bytes);
    const head = this.newSegment();
    this.log = new JsonlLog(head.path, this.logOptions);
    await this.log.openTailOnly();
    await syncDir(this.dir);
    this.head = head;
    this.segments.push(head);
  }

  /**
   * A new head takes a seq of its own for its name: a head that only took acks must not be followed
   * by one with the same name (and file). No record gets that seq.
   */
  private newSegment(): Segment {
    return new Segment(this.dir, this.nextSeq++);
  }

  private async readRecent(since: number): Promise<OutboxEntry[]> {
    if (!Number.isFinite(since)) return [];
    const seqs: number[] = [];
    for (const s of this.segments) {
      if (s.newestAt() < since) continue;
      await this.warmth.with(s, () => {
        for (let seq = s.first; seq < s.end; seq++) if (s.key(seq) !== NO_RECORD && s.at(seq) >= since) seqs.push(seq);
      });
    }
    const read = await this.read(seqs, { dropDamaged: false });
    return seqs.flatMap((seq) => {
      const e = read.get(seq);
      return e ? [{ id: e.id, topic: e.topic, payload: e.payload, key: e.key, at: e.at }] : [];
    });
  }

  get size(): number {
    return this.pendingCount;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /** fdatasync calls so far, for the storage bench */
  get syncs(): number {
    return this.syncsBefore + this.log.syncs;
  }

  /** segment files on disk (for tests) */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** sealed segments whose offsets and put times are on disk only (for tests) */
  get coldSegments(): number {
    return this.segments.filter((s) => !s.isWarm).length;
  }

  /** Exact while the oldest record's segment is warm or it was looked up last; else its segment's oldest put time. */
  get oldestAt(): number | null {
    return this.oldestPut();
  }

  private oldestPut(): number | null {
    const seq = this.oldest(1, () => true)[0];
    if (seq === undefined) return null;
    const s = this.segmentOf(seq)!;
    if (s.isWarm) this.oldestSeen = { seq, at: s.at(seq) };
    return this.oldestSeen?.seq === seq ? this.oldestSeen.at : s.oldestAt();
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.expire(entry.at);
    const json = JSON.stringify(entry);
    const need = Buffer.byteLength(json) + LINE_OVERHEAD;
    const over = () => this.pendingBytes + this.reserved + need - this.bounds.maxBytes;
    if (over() > 0) {
      if (this.bounds.whenFull === 'refuse-new' || need > this.bounds.maxBytes) return this.refuseFull();
      for (let excess = over(); excess > 0; excess = over()) {
        const victims = this.oldestBytes(excess);
        if (victims.length === 0) return this.refuseFull(); // what is left is puts still being written
        await this.dropSeqs(victims, 'OUTBOX_FULL');
      }
    }
    this.reserved += need;
    try {
      while (this.gate) await this.gate;
      const seg = this.head;
      const seq = this.nextSeq++;
      const key = this.keys.of(entry.key);
      const text = putLine(seq, json);
      const bytes = Buffer.byteLength(text) + 1;
      await this.log.appendLine(text, {
        onWritten: (offset) => {
          seg.add(seq, offset, bytes, key, entry.at);
          this.queues.push(key, seq);
          this.pendingCount++;
          this.pendingBytes += bytes;
        },
      });
    } finally {
      this.reserved -= need;
    }
    this.maybeRoll();
    this.emit('put');
  }

  private refuseFull(): never {
    this.count('OUTBOX_FULL');
    throw new OutboxFullError(this.pendingBytes, this.bounds.maxBytes);
  }

  async take(max: number): Promise<PendingEntry[]> {
    this.queues.trim();
    const seqs = this.queues.take(max);
    if (seqs.length === 0) return [];
    let read: Map<number, PendingEntry>;
    try {
      read = await this.read(seqs, { dropDamaged: true });
    } catch (e) {
      // not handed out after all: everything not acknowledged goes round again
      this.queues.rewind();
      throw e;
    }
    this.maybeForget();
    return seqs.flatMap((seq) => {
      const e = read.get(seq);
      return e && !this.isSettled(seq) ? [e] : [];
    });
  }

  rewind(): void {
    this.queues.rewind();
  }

  /**
   * Settles a delivered record. Its line is written lazily, with the next put (or within
   * `lazyMaxMs`, or once LAZY_MAX_LINES wait): a lost ack only sends the record again, and
   * receivers drop duplicates by id, while a write of its own per ack would dirty a page of the SD card each time.
   */
  ack(seq: number): void {
    if (!this.markSettled(seq)) return;
    // one line per ack, but one append per turn of the event loop: a drain acknowledges thousands a second
    if (this.acks.push(seq) === 1) setImmediate(() => this.writeAcks());
  }

  private writeAcks(): void {
    const seqs = this.acks;
    if (seqs.length === 0) return;
    this.acks = [];
    const head = this.head;
    const onWritten = () => {
      for (const seq of seqs) head.settles.push(seq);
    };
    // a failed write (a full disk) loses only the notes; the put's own write reports the fault
    this.log
      .appendLine(seqs.map((seq) => `{"ack":${seq}}`).join('\n'), { sync: false, lazy: true, onWritten })
      .catch(() => {});
    this.maybeRoll();
  }

  /**
   * Every pending entry, in the order `take` hands them out after a rewind (for tests and tools: it reads them all).
   */
  async list(): Promise<PendingEntry[]> {
    const seqs = this.queues.all();
    const read = await this.read(seqs, { dropDamaged: false });
    return seqs.flatMap((seq) => read.get(seq) ?? []);
  }

  /** Drops every entry older than the age bound (also run on each put). */
  async expire(now: number): Promise<void> {
    const limit = now - this.bounds.maxAgeSeconds * 1000;
    // a cold segment is old as a whole, or warmed to look at its records
    const isOld = (s: Segment, seq: number) => s.newestAt() < limit || (s.isWarm && s.at(seq) < limit);
    for (;;) {
      const first = this.segments.find((s) => s.live > 0);
      // oldestPut is exact, or for a cold segment its earliest put: never later than the truth
      if (!first || this.oldestPut()! >= limit) return;
      let old: number[];
      try {
        old = await this.warmth.with(first, () => {
          // looked up while warm, so the next put need not warm it again to find nothing old
          this.oldestPut();
          return this.oldest(1000, isOld);
        });
      } catch (e) {
        this.emit('problem', e as Error);
        // a segment whose file is gone has lost its records, as a read of them finds (read());
        // any other failure may pass: expiry waits for the next put, which is not refused for it
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
        await this.dropSeqs(this.liveSeqs(first), 'OUTBOX_CORRUPT');
        continue;
      }
      if (old.length === 0) return;
      await this.dropSeqs(old, 'OUTBOX_EXPIRED');
    }
  }

  private liveSeqs(s: Segment): number[] {
    const out: number[] = [];
    for (let seq = s.first; seq < s.end; seq++) if (!s.isSettled(seq)) out.push(seq);
    return out;
  }

  /** Up to `max` of the oldest pending seqs, while `take` holds (stopping at the first that does not). */
  private oldest(max: number, take: (s: Segment, seq: number) => boolean): number[] {
    const out: number[] = [];
    for (const s of this.segments) {
      const from = s.firstLive();
      if (from === null) continue;
      for (let seq = from; seq < s.end && out.length < max; seq++) {
        if (s.isSettled(seq)) continue;
        if (!take(s, seq)) return out;
        out.push(seq);
      }
      if (out.length >= max) break;
    }
    return out;
  }

  /** The oldest pending seqs whose bytes add up to at least `bytes`. */
  private oldestBytes(bytes: number): number[] {
    let sum = 0;
    return this.oldest(Number.MAX_SAFE_INTEGER, (s, seq) => {
      if (sum >= bytes) return false;
      sum += s.bytesOf(seq);
      return true;
    });
  }

  /** Drops records, reading each one's id for the audit log first. */
  private async dropSeqs(seqs: number[], reason: OutboxDropReason): Promise<void> {
    // dropped whether or not they can be read: an unreadable one is audited without its id
    const read = await this.read(seqs, { dropDamaged: true }).catch(() => new Map<number, PendingEntry>());
    await this.settleDropped(seqs, reason, (seq) => read.get(seq)?.id ?? null);
  }

  private async settleDropped(
    seqs: number[],
    reason: OutboxDropReason,
    idOf: (seq: number) => string | null,
  ): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const seq of seqs) {
      const s = this.segmentOf(seq);
      if (!s) continue;
      const key = this.keys.name(s.key(seq));
      const w = this.dropOne(seq, reason);
      if (!w) continue; // settled meanwhile: delivered, or dropped by a concurrent call
      writes.push(w);
      this.count(reason);
      this.emit('dropped', { id: idOf(seq) ?? `unreadable (outbox seq ${seq})`, key, seq }, reason);
    }
    await Promise.all(writes);
    this.maybeForget();
  }

  /** Marks a seq dropped and appends the line that says so; null if it was settled already. */
  private dropOne(seq: number, reason: OutboxDropReason): Promise<void> | null {
    if (!this.markSettled(seq)) return null;
    const written = this.appendDrop(seq, reason);
    this.maybeRoll();
    return written;
  }

  /** The drop line, written (not synced); the head's index will list the seq it settles. */
  private appendDrop(seq: number, reason: OutboxDropReason): Promise<void> {
    const head = this.head;
    return this.log.appendLine(JSON.stringify({ drop: seq, reason }), {
      sync: false,
      onWritten: () => head.settles.push(seq),
    });
  }

  /** Marks a seq delivered or dropped in memory; false if it already was. */
  private markSettled(seq: number): boolean {
    const s = this.segmentOf(seq);
    if (!s) return false;
    const bytes = s.bytesOf(seq);
    if (!s.settle(seq)) return false;
    this.pendingCount--;
    this.pendingBytes -= bytes;
    if (s.live === 0) this.maybeForget();
    return true;
  }

  /**
   * Reads records back. A line that does not read back as the record the index says (a failing
   * card, an edit by hand) is, with `dropDamaged`, an audited OUTBOX_CORRUPT drop.
   */
  private async read(seqs: number[], { dropDamaged }: { dropDamaged: boolean }): Promise<Map<number, PendingEntry>> {
    const bySegment = new Map<Segment, number[]>();
    for (const seq of seqs) {
      const s = this.segmentOf(seq);
      if (!s) continue;
      let list = bySegment.get(s);
      if (!list) bySegment.set(s, (list = []));
      list.push(seq);
    }
    const out = new Map<number, PendingEntry>();
    const damaged = new Map<number, string>();
    for (const [s, list] of bySegment) {
      let lines: Map<number, string>;
      try {
        lines = await this.warmth.with(s, () => this.reader.read(s, list));
      } catch (e) {
        // a file that is gone (deleted by hand) has lost its records like a damaged line;
        // any other failure (EIO, no file handles left) may pass, and is the caller's to report
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.emit('problem', e as Error);
        lines = new Map();
      }
      for (const seq of list) {
        const p = parseSegmentLine(lines.get(seq) ?? '');
        if (p && 's' in p && p.s === seq && this.keys.of(p.e.key) === s.key(seq)) out.set(seq, { ...p.e, seq });
        else damaged.set(seq, lines.get(seq) ?? '');
      }
    }
    if (dropDamaged && damaged.size > 0) {
      await this.settleDropped([...damaged.keys()], 'OUTBOX_CORRUPT', (seq) => {
        const what = salvage({ line: 0, text: damaged.get(seq)! });
        return what === 'not-a-put' ? null : what.id;
      });
    }
    return out;
  }

  private count(reason: OutboxDropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  private isSettled(seq: number): boolean {
    const s = this.segmentOf(seq);
    return !s || s.isSettled(seq);
  }

  private segmentOf(seq: number): Segment | null {
    const list = this.segments;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (seq < s.first) hi = mid - 1;
      else if (seq >= s.end) lo = mid + 1;
      else return s;
    }
    return null;
  }

  /** Starts a new head segment once this one is full. Puts wait meanwhile: a file to create and a folder to sync. */
  private maybeRoll(): void {
    if (this.rolling || this.log.bytes < this.segmentBytes || Date.now() < this.rollAfter) return;
    let release: () => void = () => {};
    this.gate = new Promise<void>((r) => (release = r));
    this.rolling = (async () => {
      const old = this.head;
      const oldLog = this.log;
      const next = this.newSegment();
      const log = new JsonlLog(next.path, this.logOptions);
      try {
        await log.openTailOnly();
        await syncDir(this.dir);
      } catch (e) {
        await log.close().catch(() => {});
        // an empty file left behind would claim seqs the old head goes on using
        await rm(next.path, { force: true }).catch(() => {});
        this.rollAfter = Date.now() + ROLL_RETRY_MS;
        throw e;
      } finally {
        this.gate = null;
        release();
      }
      // from here on new lines go to the new head; what the old one still has queued is written by its close
      this.head = next;
      this.log = log;
      this.segments.push(next);
      await oldLog.close();
      this.syncsBefore += oldLog.syncs;
      await this.sealIndex(old, oldLog.bytes);
      this.maybeForget();
    })()
      .catch((e: Error) => {
        this.emit('problem', e);
      })
      .finally(() => (this.rolling = null));
  }

  private async sealIndex(s: Segment, fileBytes: number): Promise<void> {
    s.seal();
    // rebuilt from the segment at the next start if this fails; meanwhile it stays warm
    await writeSegmentIndex(s, this.keys, fileBytes).then(
      () => this.warmth.markIndexed(s, { cold: false }),
      (e: Error) => this.emit('problem', e),
    );
    s.settles = [];
  }

  /** Deletes the oldest segments once everything in them is settled. */
  private maybeForget(): void {
    const first = this.segments[0];
    if (!first || first === this.head || first.live > 0) return;
    if (this.forgetting) {
      this.forgetAgain = true;
      return;
    }
    this.forgetting = (async () => {
      do {
        this.forgetAgain = false;
        const done: Segment[] = [];
        for (const s of this.segments) {
          if (s === this.head || s.live > 0 || s.readers > 0) break;
          done.push(s);
        }
        if (done.length === 0) break;
        await this.beforeForget?.(Math.max(...done.map((s) => s.newestAt())));
        this.segments = this.segments.slice(done.length);
        for (const s of done) {
          await this.reader.forget(s);
          this.warmth.forget(s);
          await rm(s.path, { force: true });
          await rm(s.indexPath, { force: true });
        }
        await syncDir(this.dir);
      } while (this.forgetAgain);
    })()
      .catch((e: Error) => {
        this.emit('problem', e);
      })
      .finally(() => (this.forgetting = null));
  }

  async close(): Promise<void> {
    this.writeAcks();
    while (this.rolling || this.forgetting) await (this.rolling ?? this.forgetting);
    await this.log.close();
    await this.reader.close();
  }
}
