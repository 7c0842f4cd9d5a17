import { mkdir, rename, rm } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { JsonlLog } from '../storage/jsonl-log.ts';
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

export type OutboxEvents = { put: []; dropped: [entry: OutboxEntry, reason: OutboxDropReason] };

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

type Op = { op: 'put'; e: OutboxEntry } | { op: 'ack'; id: string } | { op: 'drop'; id: string; reason: OutboxDropReason };

const MIN_COMPACT_BYTES = 4 * 1024 * 1024;
const UNBOUNDED: OutboxBounds = { maxBytes: Number.MAX_SAFE_INTEGER, maxAgeSeconds: Number.MAX_SAFE_INTEGER, whenFull: 'refuse-new' };

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
  private compacting = false;
  private pendingBytes = 0;
  recovered = { entries: 0, tornBytes: 0, corruptLines: 0 };
  readonly drops: Partial<Record<OutboxDropReason, number>> = {};

  private readonly file: string;

  private constructor(
    readonly dir: string,
    private readonly bounds: OutboxBounds,
  ) {
    super();
    this.file = join(dir, 'outbox.jsonl');
    this.log = new JsonlLog(this.file);
  }

  static async open(dir: string, bounds: OutboxBounds = UNBOUNDED): Promise<DurableOutbox> {
    await mkdir(dir, { recursive: true });
    const box = new DurableOutbox(dir, bounds);
    // a compaction that crashed before its rename left a partial copy; the main log is complete
    await rm(`${box.file}.next`, { force: true });
    const { lines, tornBytes, corruptLines } = await box.log.open();
    for (const line of lines as Op[]) {
      if (line.op === 'put' && line.e) box.insert(line.e);
      else if (line.op === 'ack' || line.op === 'drop') box.remove(line.id);
    }
    box.recovered = { entries: box.all.size, tornBytes, corruptLines };
    return box;
  }

  get size(): number {
    return this.all.size;
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
    // in the maps before the append, so a compaction running meanwhile copies it
    this.insert(entry);
    try {
      await this.log.append({ op: 'put', e: entry } satisfies Op);
    } catch (e) {
      this.remove(entry.id);
      throw e;
    }
    this.emit('put');
  }

  async ack(id: string): Promise<void> {
    if (!this.remove(id)) return;
    await this.log.append({ op: 'ack', id } satisfies Op, { sync: false });
    await this.maybeCompact();
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
    await this.log.append({ op: 'drop', id: e.id, reason } satisfies Op, { sync: false });
  }

  private count(reason: OutboxDropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
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
  private async maybeCompact(): Promise<void> {
    if (this.log.bytes > Math.max(MIN_COMPACT_BYTES, 3 * this.pendingBytes)) await this.compact();
  }

  /**
   * Rewrites the log with only the pending entries and swaps it in with a rename.
   * The swap and the snapshot happen in one synchronous step, so every put lands in the new log,
   * either in the snapshot or appended after it.
   */
  private async compact(): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    try {
      const next = new JsonlLog(`${this.file}.next`);
      await next.open();
      const old = this.log;
      this.log = next;
      const copied = [...this.all.values()].map((e) => next.append({ op: 'put', e } satisfies Op));
      await Promise.all(copied);
      await old.close();
      await rename(`${this.file}.next`, this.file);
    } finally {
      this.compacting = false;
    }
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** What an entry costs against maxBytes: about its size in the log. */
function entryBytes(e: OutboxEntry): number {
  return e.payload.length + e.topic.length + e.id.length + e.key.length + 48;
}
