import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { JsonlLog, type JsonlLogOptions } from '../storage/jsonl-log.ts';
import { syncDir } from '../storage/sync-dir.ts';
import { OutboxOpSchema, salvage, type LostRecord, type OutboxOp } from './replay.ts';
import { OutboxFullError, type OutboxDropReason } from './drops.ts';

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

export interface OutboxBounds {
  maxBytes: number;
  maxAgeSeconds: number;
  whenFull: 'refuse-new' | 'drop-oldest';
}

export type OutboxEvents = {
  put: [];
  dropped: [entry: OutboxEntry, reason: OutboxDropReason];
  /** a compaction failed (disk full, I/O error): nothing is lost, the log is only larger than it needs to be */
  problem: [error: Error];
};

/** What any outbox must do; the uplink only sees this. */
export interface OutboxStore extends EventEmitter<OutboxEvents> {
  /** resolves once the entry is on disk; rejects (OutboxFullError) when full and refusing new entries */
  put(entry: OutboxEntry): Promise<void>;
  ack(id: string): Promise<void>;
  /** pending entries, taking the devices in turn, each device's in the order they were put */
  pending(): Iterable<OutboxEntry>;
  readonly size: number;
  readonly bytes: number;
  /** put time of the oldest pending entry, or null when empty */
  readonly oldestAt: number | null;
  close(): Promise<void>;
}

type Op = OutboxOp;

const MIN_COMPACT_BYTES = 4 * 1024 * 1024;
/** after a failed compaction (a full disk), how long before the next try */
const COMPACT_RETRY_MS = 30_000;
const UNBOUNDED: OutboxBounds = { maxBytes: Number.MAX_SAFE_INTEGER, maxAgeSeconds: Number.MAX_SAFE_INTEGER, whenFull: 'refuse-new' };

export interface OutboxRecovery {
  entries: number;
  tornBytes: number;
  corruptLines: number;
  /** approved records whose lines were damaged and that were never delivered: each is an OUTBOX_CORRUPT drop */
  lost: LostRecord[];
  /** where the damaged log was copied before it was rewritten clean, or null */
  quarantined: string | null;
}

/** While a compaction copies the log, every operation is also written to the copy. */
interface Mirror {
  log: JsonlLog;
  failed: Error | null;
  writes: Promise<void>[];
}

/**
 * The durable outbox: an operation log (put / ack / drop) with group-committed fsync.
 * `put` resolves only when the entry is on disk, so a QoS 1 PUBACK sent after it cannot lose it.
 * Acks are written without waiting for fsync: losing one in a power cut only sends that record
 * again, and receivers drop duplicates by id. After a crash, replaying the log gives back every
 * entry put and neither acknowledged nor dropped.
 */
export class DurableOutbox extends EventEmitter<OutboxEvents> implements OutboxStore {
  /** every pending entry in put order (the oldest first) */
  private readonly all = new Map<string, OutboxEntry>();
  /** the same entries per key, each in put order */
  private readonly byKey = new Map<string, Map<string, OutboxEntry>>();
  private log: JsonlLog;
  private compaction: Promise<void> | null = null;
  private compactAfter = 0;
  private mirror: Mirror | null = null;
  /** set only while a finished copy is swapped in: operations wait for it (a rename and a sync) */
  private gate: Promise<void> | null = null;
  private pendingBytes = 0;
  private syncsBefore = 0;
  recovered: OutboxRecovery = { entries: 0, tornBytes: 0, corruptLines: 0, lost: [], quarantined: null };
  /** puts found in the log at open that were made at or after `recentSince`, delivered or not (for audit recovery) */
  recentPuts: OutboxEntry[] = [];
  /** runs before a compaction forgets delivered records: the audit log makes their decisions durable first */
  beforeCompact: (() => Promise<void>) | null = null;
  readonly drops: Partial<Record<OutboxDropReason, number>> = {};

  private readonly file: string;

  private constructor(
    readonly dir: string,
    private readonly bounds: OutboxBounds,
    private readonly compactAtBytes: number,
    private readonly logOptions: JsonlLogOptions,
  ) {
    super();
    this.file = join(dir, 'outbox.jsonl');
    this.log = new JsonlLog(this.file, logOptions);
  }

  /**
   * Opens the outbox and replays its log. A damaged line never stops the start: the file is copied
   * aside (`outbox.jsonl.corrupt-<time>`), the records that can be read are kept, the log is
   * rewritten clean, and each approved record that was lost is in `recovered.lost`.
   */
  static async open(dir: string, bounds: OutboxBounds = UNBOUNDED, opts: { compactAtBytes?: number; recentSince?: number } & JsonlLogOptions = {}): Promise<DurableOutbox> {
    await mkdir(dir, { recursive: true });
    const { compactAtBytes, recentSince = Number.POSITIVE_INFINITY, ...logOptions } = opts;
    const box = new DurableOutbox(dir, bounds, compactAtBytes ?? MIN_COMPACT_BYTES, logOptions);
    // a compaction that crashed before its rename left a partial copy; the main log is complete
    await rm(`${box.file}.next`, { force: true });
    const { lines, tornBytes, corrupt, corruptLines } = await box.log.open();
    const settled = new Set<string>();
    let invalid = 0;
    for (const [i, raw] of lines.entries()) {
      const op = OutboxOpSchema.safeParse(raw);
      if (!op.success) {
        // JSON, but not an operation (`null`, a field missing): as damaged as a line that is not JSON
        invalid++;
        corrupt.push({ line: i + 1 + corruptLines, text: JSON.stringify(raw) ?? '' });
        continue;
      }
      const line = op.data;
      if (line.op === 'put') {
        box.insert(line.e);
        if (line.e.at >= recentSince) box.recentPuts.push(line.e);
      } else {
        settled.add(line.id);
        box.remove(line.id);
      }
    }
    const lost: LostRecord[] = [];
    for (const c of corrupt) {
      const what = salvage(c);
      if (what !== 'not-a-put' && !(what.id && (settled.has(what.id) || box.all.has(what.id)))) lost.push(what);
    }
    let quarantined: string | null = null;
    if (corrupt.length > 0) {
      quarantined = `${box.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      // kept for a person to look at; a full disk must not stop the start, so a failed copy is only noted
      await copyFile(box.file, quarantined).catch(() => (quarantined = null));
      await box.compact();
    }
    box.recovered = { entries: box.all.size, tornBytes, corruptLines: corruptLines + invalid, lost, quarantined };
    return box;
  }

  get size(): number {
    return this.all.size;
  }

  /** fdatasync calls so far, for the storage bench */
  get syncs(): number {
    return this.syncsBefore + this.log.syncs;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  get oldestAt(): number | null {
    return this.all.values().next().value?.at ?? null;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.expire(entry.at);
    const need = entryBytes(entry);
    if (this.pendingBytes + need > this.bounds.maxBytes) {
      if (this.bounds.whenFull === 'refuse-new' || need > this.bounds.maxBytes) {
        this.count('OUTBOX_FULL');
        throw new OutboxFullError(this.pendingBytes, this.bounds.maxBytes);
      }
      for (const oldest of this.all.values()) {
        if (this.pendingBytes + need <= this.bounds.maxBytes) break;
        await this.drop(oldest, 'OUTBOX_FULL');
      }
    }
    // in the maps before the append, so a compaction starting meanwhile copies it
    this.insert(entry);
    try {
      await this.write({ op: 'put', e: entry }, 'sync');
    } catch (e) {
      this.remove(entry.id);
      throw e;
    }
    this.emit('put');
  }

  /**
   * Settles as soon as the record is no longer pending. Its line is written lazily, with the next
   * put (or within `lazyMaxMs`): a lost ack only sends the record again, and receivers drop
   * duplicates by id, while a write of its own per ack would dirty a page of the SD card each time.
   */
  async ack(id: string): Promise<void> {
    if (!this.remove(id)) return;
    // a failed write (a full disk) loses only the note; the put's own write reports the fault
    this.write({ op: 'ack', id }, 'lazy').catch(() => {});
    this.maybeCompact();
  }

  /** Drops every entry older than the age bound (also run on each put). */
  async expire(now: number): Promise<void> {
    const limit = now - this.bounds.maxAgeSeconds * 1000;
    for (const e of this.all.values()) {
      if (e.at >= limit) break;
      await this.drop(e, 'OUTBOX_EXPIRED');
    }
  }

  private async drop(e: OutboxEntry, reason: OutboxDropReason): Promise<void> {
    if (!this.remove(e.id)) return;
    this.count(reason);
    this.emit('dropped', e, reason);
    await this.write({ op: 'drop', id: e.id, reason }, 'write');
  }

  private count(reason: OutboxDropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /**
   * Appends one operation. While a compaction copies the log it goes to the copy as well, and only
   * settles once both have it: whichever file is the log after a crash holds every settled operation.
   */
  private async write(op: Op, how: 'sync' | 'write' | 'lazy'): Promise<void> {
    while (this.gate) await this.gate;
    const mode = { sync: how === 'sync', lazy: how === 'lazy' };
    const main = this.log.append(op, mode);
    const m = this.mirror;
    if (!m) return main;
    const copy = m.log.append(op, mode);
    const both = Promise.allSettled([main, copy]).then(([a, b]) => {
      if (a.status === 'rejected') m.failed ??= a.reason as Error;
      if (b.status === 'rejected') m.failed ??= b.reason as Error;
    });
    m.writes.push(both);
    await both;
    await main;
  }

  *pending(): Generator<OutboxEntry> {
    // devices take turns: a device with a long backlog does not hold up the others' live records
    const queues = [...this.byKey.values()].map((q) => q.values());
    while (queues.length > 0) {
      for (let i = 0; i < queues.length; ) {
        const next = queues[i]!.next();
        if (next.done) queues.splice(i, 1);
        else {
          yield next.value;
          i++;
        }
      }
    }
  }

  private insert(e: OutboxEntry): void {
    if (this.all.has(e.id)) return;
    this.all.set(e.id, e);
    let q = this.byKey.get(e.key);
    if (!q) this.byKey.set(e.key, (q = new Map()));
    q.set(e.id, e);
    this.pendingBytes += entryBytes(e);
  }

  private remove(id: string): boolean {
    const e = this.all.get(id);
    if (!e) return false;
    this.all.delete(id);
    const q = this.byKey.get(e.key);
    q?.delete(id);
    if (q?.size === 0) this.byKey.delete(e.key);
    this.pendingBytes -= entryBytes(e);
    return true;
  }

  /** Compacts when the log is mostly acknowledged history, so a large backlog is not rewritten per ack. */
  private maybeCompact(): void {
    if (this.compaction || Date.now() < this.compactAfter) return;
    if (this.log.bytes <= Math.max(this.compactAtBytes, 3 * this.pendingBytes)) return;
    this.compaction = this.compact()
      .catch((e: Error) => {
        this.compactAfter = Date.now() + COMPACT_RETRY_MS;
        this.emit('problem', e);
      })
      .finally(() => (this.compaction = null));
  }

  /**
   * Rewrites the log with only the pending entries and swaps it in with a rename.
   * The copy is written beside the log while operations go on, each also written to the copy; the
   * rename is the commit point, made durable with a sync of the folder. A crash before it leaves the
   * old log, complete (the copy is deleted at the next open); a crash after it, the copy, complete.
   * A failed copy (disk full) is abandoned and the old log stays in use.
   */
  private async compact(): Promise<void> {
    await this.beforeCompact?.();
    const nextPath = `${this.file}.next`;
    const next = new JsonlLog(nextPath, this.logOptions);
    await rm(nextPath, { force: true });
    await next.open();
    const mirror: Mirror = { log: next, failed: null, writes: [] };
    // the snapshot and the start of mirroring in one synchronous step: every later operation is mirrored
    this.mirror = mirror;
    const snapshot = [...this.all.values()];
    let release: () => void = () => {};
    try {
      await Promise.all(snapshot.map((e) => next.append({ op: 'put', e } satisfies Op)));
      this.gate = new Promise<void>((r) => (release = r));
      // lazy lines (acks) are written now, not when their timer would have run
      await Promise.all([this.log.drain(), next.drain()]);
      await Promise.all(mirror.writes);
      if (mirror.failed) throw mirror.failed;
      await rename(nextPath, this.file);
      const old = this.log;
      this.syncsBefore += old.syncs;
      this.log = next;
      this.mirror = null;
      await old.close().catch(() => {});
      await syncDir(this.dir);
    } catch (e) {
      if (this.mirror === mirror) {
        this.mirror = null;
        await next.close().catch(() => {});
        await rm(nextPath, { force: true }).catch(() => {});
      }
      throw e;
    } finally {
      this.gate = null;
      release();
    }
  }

  async close(): Promise<void> {
    await this.compaction;
    await this.log.close();
  }
}

/** What an entry costs against maxBytes: about its size in the log. */
function entryBytes(e: OutboxEntry): number {
  return e.payload.length + e.topic.length + e.id.length + e.key.length + 48;
}
