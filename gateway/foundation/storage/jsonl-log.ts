import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface JsonlLogOptions {
  /**
   * Group commit: a synced append waits this long for others to share its write and fdatasync.
   * 0 shares only the appends of the same turn of the event loop.
   */
  commitWindowMs?: number;
  /** a lazy append is written with the next synced one, or after this long at the latest */
  lazyMaxMs?: number;
  /** or once this many lines wait, so a crash loses a bounded number of them */
  lazyMaxLines?: number;
}

export interface AppendOptions {
  sync?: boolean;
  lazy?: boolean;
  /**
   * runs once the line is in the file (and synced, if asked), in file order, before any append's promise settles, with
   * the line's offset
   */
  onWritten?: (offset: number) => void;
}

/**
 * An append-only JSON-lines file with group commit: appends close together share one write and one
 * fdatasync, and each append's promise settles only once its line is on disk.
 * A torn last line (power cut mid-write) is detected on open and cut off, never parsed as data.
 * A failed write (disk full, read-only) is cut back to the last good line, so the file never
 * holds half a line followed by good ones; if even that fails, the log refuses appends until reopened.
 */
export class JsonlLog {
  private fh: FileHandle | null = null;
  private pending: {
    line: string;
    sync: boolean;
    onWritten?: (offset: number) => void;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];
  private broken: Error | null = null;
  private flushing: Promise<void> | null = null;
  private timer: { kind: 'timeout'; t: NodeJS.Timeout } | { kind: 'immediate'; t: NodeJS.Immediate } | null = null;
  private timerDue = Number.POSITIVE_INFINITY;
  /** written since the last fdatasync */
  private dirty = false;
  private readonly commitWindowMs: number;
  private readonly lazyMaxMs: number;
  private readonly lazyMaxLines: number;
  bytes = 0;
  /** fdatasync calls made, for the storage bench and tests */
  syncs = 0;

  constructor(
    readonly path: string,
    opts: JsonlLogOptions = {},
  ) {
    this.commitWindowMs = opts.commitWindowMs ?? 0;
    this.lazyMaxMs = opts.lazyMaxMs ?? 30_000;
    this.lazyMaxLines = opts.lazyMaxLines ?? Number.POSITIVE_INFINITY;
  }

  /** Opens the file for appending and returns its valid lines, in order, with what had to be cut. */
  async open(): Promise<{ lines: unknown[]; tornBytes: number; corruptLines: number; corrupt: CorruptLine[] }> {
    const { lines, validBytes, totalBytes, corruptLines, corrupt } = await readLines(this.path);
    if (validBytes < totalBytes) await truncate(this.path, validBytes);
    this.fh = await open(this.path, 'a');
    this.bytes = validBytes;
    return { lines, tornBytes: totalBytes - validBytes, corruptLines, corrupt };
  }

  /**
   * Opens for appending without reading the whole file (for logs that grow for a year):
   * only a torn last line, one with no newline after it, is cut off. Returns the complete lines
   * at the end of the file it read on the way (the first may be cut short), so callers need not read again.
   */
  async openTailOnly(): Promise<{ tornBytes: number; tailLines: string[] }> {
    const { keptBytes, tornBytes, tailLines } = await cutTornTail(this.path);
    this.fh = await open(this.path, 'a');
    this.bytes = keptBytes;
    return { tornBytes, tailLines };
  }

  /**
   * Appends a line. With `sync: false` the promise settles once the line is written, not synced:
   * for lines whose loss in a power cut is harmless or made good otherwise. With `lazy` it is not
   * even written at once: it waits for the next synced append (or `lazyMaxMs`), so a stream of
   * small notes (outbox acks) does not dirty a page of the SD card each. Lines keep their order.
   */
  append(value: unknown, opts: AppendOptions = {}): Promise<void> {
    return this.appendLine(JSON.stringify(value), opts);
  }

  /** Appends a line already serialised (without its newline). */
  appendLine(text: string, { sync = true, lazy = false, onWritten }: AppendOptions = {}): Promise<void> {
    const line = `${text}\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ line, sync: sync && !lazy, onWritten, resolve, reject });
      const wait = lazy
        ? this.pending.length >= this.lazyMaxLines
          ? 0
          : this.lazyMaxMs
        : sync
          ? this.commitWindowMs
          : 0;
      this.schedule(wait, lazy);
    });
  }

  /** Makes everything appended so far durable now: written and, if anything is unsynced, one fdatasync. */
  async sync(): Promise<void> {
    if (this.pending.length > 0 || this.flushing) {
      const synced = new Promise<void>((resolve, reject) =>
        this.pending.push({ line: '', sync: true, resolve, reject }),
      );
      this.schedule(0, false);
      await Promise.all([synced, this.drain()]);
      return;
    }
    if (!this.dirty || !this.fh) return;
    this.dirty = false;
    this.syncs++;
    await this.fh.datasync();
  }

  /**
   * Runs a flush after `delayMs`, or sooner if one is already due sooner. A flush in progress picks up what comes
   * meanwhile.
   */
  private schedule(delayMs: number, lazy: boolean): void {
    if (this.flushing) return;
    const due = Date.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.cancelTimer();
    this.timerDue = due;
    const run = () => {
      this.timer = null;
      this.timerDue = Number.POSITIVE_INFINITY;
      this.flushing = this.flush();
    };
    if (delayMs === 0) this.timer = { kind: 'immediate', t: setImmediate(run) };
    else {
      const t = setTimeout(run, delayMs);
      // lines that are only notes must not keep the process alive; close() writes them
      if (lazy) t.unref();
      this.timer = { kind: 'timeout', t };
    }
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    if (this.timer.kind === 'timeout') clearTimeout(this.timer.t);
    else clearImmediate(this.timer.t);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const fh = this.fh;
      try {
        if (this.broken) throw this.broken;
        if (!fh) throw Object.assign(new Error(`${this.path} is not open`), { code: 'ECLOSED' });
        const chunk = Buffer.from(batch.map((p) => p.line).join(''));
        if (chunk.length > 0) {
          await writeAll(fh, chunk);
          this.dirty = true;
        }
        if (batch.some((p) => p.sync) && this.dirty) {
          this.syncs++;
          await fh.datasync();
          this.dirty = false;
        }
        this.bytes += chunk.length;
        let offset = this.bytes - chunk.length;
        for (const p of batch) {
          p.onWritten?.(offset);
          offset += Buffer.byteLength(p.line);
        }
        for (const p of batch) p.resolve();
      } catch (e) {
        if (fh && !this.broken) await this.cutBack(fh);
        for (const p of batch) p.reject(e as Error);
      }
    }
    this.flushing = null;
  }

  /** After a failed write: remove whatever part of the batch reached the file. */
  private async cutBack(fh: FileHandle): Promise<void> {
    try {
      await fh.truncate(this.bytes);
    } catch (e) {
      this.broken = Object.assign(
        new Error(`${this.path} could not be restored after a failed write (${(e as Error).message}); reopen it`),
        { code: 'ELOGBROKEN' },
      );
    }
  }

  /** Waits for every append so far to be written (lazy ones too) and the synced ones to reach the disk. */
  async drain(): Promise<void> {
    if (this.timer) {
      this.cancelTimer();
      this.flushing ??= this.flush();
    }
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.fh?.close();
    this.fh = null;
  }
}

/** A write near a full disk can be short without an error: keep going until all is written or it fails. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length;) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten === 0) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

const MAX_CORRUPT_KEPT = 10_000;

/**
 * A line in the middle of a file that is not JSON: its number (from 1) and its first bytes, to salvage what it names.
 */
export interface CorruptLine {
  line: number;
  text: string;
}

/**
 * Reads a JSON-lines file. A line that is not JSON in the middle is counted and returned (cut to
 * 4 KiB) as corrupt; an incomplete last line, with no newline after it, is a torn write and not read.
 */
export async function readLines(
  path: string,
): Promise<{ lines: unknown[]; validBytes: number; totalBytes: number; corruptLines: number; corrupt: CorruptLine[] }> {
  let totalBytes = 0;
  try {
    totalBytes = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { lines: [], validBytes: 0, totalBytes: 0, corruptLines: 0, corrupt: [] };
    throw e;
  }
  const fh = await open(path, 'r');
  const lines: unknown[] = [];
  let validBytes = 0;
  const corrupt: CorruptLine[] = [];
  let corruptLines = 0;
  try {
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let offset = 0;
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) {
      carry += decoder.write(chunk as Buffer);
      let nl: number;
      while ((nl = carry.indexOf('\n')) >= 0) {
        const text = carry.slice(0, nl);
        carry = carry.slice(nl + 1);
        offset += Buffer.byteLength(text) + 1;
        try {
          lines.push(JSON.parse(text));
          validBytes = offset;
        } catch {
          // a bad line in the middle is corruption, not a torn tail: keep it for the caller and go on
          corruptLines++;
          // bounded: a file of garbage must not take the memory the gateway needs to start
          if (corrupt.length < MAX_CORRUPT_KEPT)
            corrupt.push({ line: lines.length + corruptLines, text: text.slice(0, 4096) });
          validBytes = offset;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return { lines, validBytes, totalBytes, corruptLines, corrupt };
}

/**
 * Cuts a last line left without its newline (a write cut short by a power cut or a full disk) off a
 * JSON-lines file, reading only its last MiB. Returns the bytes kept and cut, and the complete lines
 * at the end of what it read (the first may be cut short). A missing file is an empty one.
 */
export async function cutTornTail(
  path: string,
): Promise<{ keptBytes: number; tornBytes: number; tailLines: string[] }> {
  let size = 0;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let keep = size;
  let tailLines: string[] = [];
  if (size > 0) {
    const fh = await open(path, 'r');
    try {
      const len = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const nl = buf.lastIndexOf(0x0a);
      keep = nl < 0 ? size - len : size - len + nl + 1;
      if (nl >= 0) tailLines = buf.subarray(0, nl).toString('utf8').split('\n');
    } finally {
      await fh.close();
    }
    if (keep < size) await truncate(path, keep);
  }
  return { keptBytes: keep, tornBytes: size - keep, tailLines };
}
