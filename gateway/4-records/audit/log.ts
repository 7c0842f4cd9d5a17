import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { JsonlLog } from '../../foundation/storage/jsonl-log.ts';
import { entryHash, GENESIS, type AuditEntry, type AuditEvent } from './entry.ts';
import { chainFiles, segmentName, writeAnchor } from './segments.ts';

export { AUDIT_FILE } from './segments.ts';

/**
 * The tamper-evident decision log: each entry carries the hash of the one before it.
 * Appends are group-committed; `record` resolves once the entry is on disk. The gateway is its
 * only writer (the CLI's device changes reach it through the registry file), so the chain has one head.
 * Full files are rotated into numbered segments; retention removes the oldest segments and leaves
 * an anchor (the last removed entry's seq and hash), itself recorded in the chain, so what remains verifies.
 */
export class AuditLog {
  private seq = 0;
  private head = GENESIS;
  private log: JsonlLog;
  private rotating = false;
  private syncsBefore = 0;
  /** how the last run ended, read from the tail at open (for recovering forwards after an unclean stop) */
  previous: PreviousRun = { lastAt: null, cleanStop: true, forwardIds: new Set(), windowMs: 60_000 };
  private readonly listeners: Array<(e: AuditEntry) => void> = [];
  /** events recorded but not yet written: chained only when written, so a failed write leaves no gap */
  private queued: Array<{
    event: AuditEvent;
    at: string;
    sync: boolean;
    resolve: () => void;
    reject: (e: Error) => void;
  }> = [];
  private writing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly active: string,
  ) {
    this.log = new JsonlLog(active);
  }

  static async open(dir: string): Promise<AuditLog> {
    await mkdir(dir, { recursive: true });
    const { segments, active } = await chainFiles(dir);
    const audit = new AuditLog(dir, active);
    const { tornBytes, tailLines } = await audit.log.openTailOnly();
    // an empty active file right after a rotation: the head is in the newest segment
    const tail = lastEntry(tailLines) ? tailLines : segments.length > 0 ? await tailOf(segments.at(-1)!.path) : [];
    const last = lastEntry(tail);
    if (last) {
      audit.seq = last.seq;
      audit.head = last.hash;
    }
    audit.previous = previousRun(tail, last);
    if (tornBytes > 0)
      await audit.record({
        type: 'recovery',
        detail: `cut a torn last entry of ${tornBytes} bytes after an unclean stop`,
      });
    const unreadable = unreadableTail(tailLines);
    // left in place as evidence: audit verify names them; the chain goes on from the last good entry
    if (unreadable > 0)
      await audit.record({
        type: 'recovery',
        detail: `the last ${unreadable} line(s) of ${active} are damaged; the chain goes on from entry #${audit.seq}, and audit verify names the damage`,
      });
    return audit;
  }

  get chainHead(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.head };
  }

  /**
   * Resolves once the entry is on disk. The chain (seq and head) advances only when a line is
   * written: after a failed write (disk full) the next entry chains to the last one on disk, so a
   * transient fault never looks like a removed entry to `audit verify`.
   * With `sync: false` it resolves once written, and reaches the disk with the next synced entry or
   * `sync()` (the gateway syncs once per audit window): for entries that a crash cannot lose
   * unnoticed (a forward is also in the synced outbox, from which the start recovers it).
   */
  record(event: AuditEvent, now = new Date(), { sync = true }: { sync?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ event, at: now.toISOString(), sync, resolve, reject });
      this.writing ??= this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    // the records made in this turn of the loop share one write and one sync
    await new Promise((r) => setImmediate(r));
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      let { seq, head } = this;
      const entries = batch.map(({ event, at }) => {
        const partial = { seq: ++seq, at, event, prev: head };
        const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
        head = entry.hash;
        return entry;
      });
      try {
        // appended in one synchronous loop, so they land in one batch of the log: all written or none
        await Promise.all(entries.map((e, i) => this.log.append(e, { sync: batch[i]!.sync })));
      } catch (e) {
        for (const b of batch) b.reject(e as Error);
        continue;
      }
      this.seq = seq;
      this.head = head;
      for (const e of entries) for (const l of this.listeners) l(e);
      for (const b of batch) b.resolve();
    }
    this.writing = null;
  }

  /** Sees every entry once it is written (the status page's recent activity). */
  onRecord(listener: (e: AuditEntry) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Closes the active file as the next numbered segment once it holds `maxBytes`. Entries recorded
   * meanwhile are not held up: until the swap they go to the old file descriptor (now the segment).
   */
  async rotateIfLarger(maxBytes: number): Promise<string | null> {
    if (this.rotating || this.log.bytes < maxBytes) return null;
    this.rotating = true;
    try {
      const { segments } = await chainFiles(this.dir);
      const segment = `${this.dir}/${segmentName((segments.at(-1)?.n ?? 0) + 1)}`;
      await rename(this.active, segment);
      const fresh = new JsonlLog(this.active);
      await fresh.openTailOnly();
      const old = this.log;
      this.log = fresh;
      await old.close();
      this.syncsBefore += old.syncs;
      return segment;
    } finally {
      this.rotating = false;
    }
  }

  /**
   * Removes the oldest segments last written before `cutoff`, or while all files together hold more
   * than `maxTotalBytes` (never the active file, never a gap):
   * first records what it removes, then moves the anchor, then deletes. A crash in between leaves
   * extra files, never a chain that does not verify.
   */
  async prune(cutoff: Date, maxTotalBytes: number): Promise<number> {
    const { segments } = await chainFiles(this.dir);
    const sizes = await Promise.all(segments.map((s) => stat(s.path)));
    let total = this.log.bytes + sizes.reduce((n, st) => n + st.size, 0);
    const old: typeof segments = [];
    for (const [i, s] of segments.entries()) {
      if (sizes[i]!.mtimeMs >= cutoff.getTime() && total <= maxTotalBytes) break;
      old.push(s);
      total -= sizes[i]!.size;
    }
    if (old.length === 0) return 0;
    const through = lastEntry(await tailOf(old.at(-1)!.path));
    if (!through) return 0;
    await this.record({
      type: 'audit-pruned',
      throughSeq: through.seq,
      throughHash: through.hash,
      files: old.length,
      before: cutoff.toISOString(),
    });
    await this.log.drain();
    await writeAnchor(this.dir, { seq: through.seq, hash: through.hash });
    for (const s of old) await unlink(s.path);
    return old.length;
  }

  /** Makes everything recorded so far durable: one fdatasync if anything was written unsynced. */
  async sync(): Promise<void> {
    while (this.writing) await this.writing;
    await this.log.sync();
  }

  /** fdatasync calls so far on the active file, for the storage bench */
  get syncs(): number {
    return this.syncsBefore + this.log.syncs;
  }

  /** Resolves once everything recorded so far is on disk (or has failed). */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    await this.log.drain();
  }

  async close(): Promise<void> {
    await this.drain();
    await this.log.close();
  }
}

export interface PreviousRun {
  /** the time of the last entry on disk, or null for a new log */
  lastAt: string | null;
  /** the last entry is the gateway's stop: nothing recorded was left unwritten */
  cleanStop: boolean;
  /** the ids of the forwarded records the tail names */
  forwardIds: Set<string>;
  /** the longest window in the tail (ms): how far back before `lastAt` counted decisions may be missing */
  windowMs: number;
}

function previousRun(tail: string[], last: AuditEntry | null): PreviousRun {
  const forwardIds = new Set<string>();
  let windowMs = 0;
  for (const line of tail) {
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
    } catch {
      continue;
    }
    const ev = e?.event;
    if (ev?.type === 'decision' && ev.recordId) forwardIds.add(ev.recordId);
    if (ev?.type !== 'window') continue;
    windowMs = Math.max(windowMs, Date.parse(ev.to) - Date.parse(ev.from) || 0);
    for (const d of ev.decisions ?? []) for (const id of d.recordIds ?? []) forwardIds.add(id);
  }
  const cleanStop = last === null || (last.event?.type === 'gateway' && last.event.action === 'stop');
  return { lastAt: last?.at ?? null, cleanStop, forwardIds, windowMs: windowMs || 60_000 };
}

/** The complete lines at the end of a file (up to 1 MiB): enough to find its last entry. */
async function tailOf(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 1 << 20);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8').split('\n');
  } finally {
    await fh.close();
  }
}

/** How many lines at the end are not audit entries (damage after the last good entry). */
function unreadableTail(lines: string[]): number {
  let n = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i] === '' && i === lines.length - 1) continue;
    if (lastEntry([lines[i]!])) break;
    n++;
  }
  return n;
}

/** The newest well-formed entry among the last lines: the log grows for a year, the head is all we need. */
function lastEntry(lines: string[]): AuditEntry | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const e = JSON.parse(lines[i]!) as AuditEntry;
      if (typeof e.seq === 'number' && typeof e.hash === 'string') return e;
    } catch {
      /* a cut-short first line, an empty last one or a corrupt one: keep looking backwards */
    }
  }
  return null;
}
