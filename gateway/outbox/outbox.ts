import { mkdir, rename, rm } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { JsonlLog } from '../storage/jsonl-log.ts';

/** An approved record waiting to go upstream. `payload` is the exact JSON that will be published. */
export interface OutboxEntry {
  id: string;
  topic: string;
  payload: string;
}

type Op = { op: 'put'; e: OutboxEntry } | { op: 'ack'; id: string };

/** What any outbox must do; the uplink only sees this. */
export interface OutboxStore extends EventEmitter<{ put: [] }> {
  put(entry: OutboxEntry): Promise<void>;
  ack(id: string): Promise<void>;
  /** pending entries in the order they were put */
  pending(): IterableIterator<OutboxEntry>;
  readonly size: number;
  close(): Promise<void>;
}

const COMPACT_BYTES = 4 * 1024 * 1024;

/**
 * The durable outbox: an operation log (put / ack) with group-committed fsync.
 * `put` resolves only when the entry is on disk, so a QoS 1 PUBACK sent after it cannot lose it.
 * After a crash, replaying the log gives back every entry put and not acknowledged.
 */
export class DurableOutbox extends EventEmitter<{ put: [] }> implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();
  private log: JsonlLog;
  private compacting = false;
  recovered = { entries: 0, tornBytes: 0, corruptLines: 0 };

  private readonly file: string;

  private constructor(readonly dir: string) {
    super();
    this.file = join(dir, 'outbox.jsonl');
    this.log = new JsonlLog(this.file);
  }

  static async open(dir: string): Promise<DurableOutbox> {
    await mkdir(dir, { recursive: true });
    const box = new DurableOutbox(dir);
    // a compaction that crashed before its rename left a partial copy; the main log is complete
    await rm(`${box.file}.next`, { force: true });
    const { lines, tornBytes, corruptLines } = await box.log.open();
    for (const line of lines as Op[]) {
      if (line.op === 'put' && line.e) box.entries.set(line.e.id, line.e);
      else if (line.op === 'ack') box.entries.delete(line.id);
    }
    box.recovered = { entries: box.entries.size, tornBytes, corruptLines };
    return box;
  }

  get size(): number {
    return this.entries.size;
  }

  async put(entry: OutboxEntry): Promise<void> {
    // in the map before the append, so a compaction running meanwhile copies it
    this.entries.set(entry.id, entry);
    try {
      await this.log.append({ op: 'put', e: entry } satisfies Op);
    } catch (e) {
      this.entries.delete(entry.id);
      throw e;
    }
    this.emit('put');
  }

  async ack(id: string): Promise<void> {
    if (!this.entries.delete(id)) return;
    await this.log.append({ op: 'ack', id } satisfies Op);
    if (this.log.bytes > COMPACT_BYTES) await this.compact();
  }

  pending(): IterableIterator<OutboxEntry> {
    return this.entries.values();
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
      const copied = [...this.entries.values()].map((e) => next.append({ op: 'put', e } satisfies Op));
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
