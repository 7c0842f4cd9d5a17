import { connect, type Socket } from 'node:net';

export interface FrameSocketOptions {
  /** the Unix socket ffmpeg listens on (`-listen 1 unix:PATH`) */
  path: string;
  /** a buffer of exactly `bytes` bytes, alone in its ArrayBuffer: the next frame is read into it */
  take(bytes: number): Buffer;
  frame(rgb: Buffer): void;
  /** between tries while ffmpeg is not listening yet */
  retryMs?: number;
}

/**
 * Reads ffmpeg's raw frames from the Unix socket it listens on, each straight into the frame's own
 * buffer: no buffer per read and no copy, where a pipe cost a 64 KiB buffer per read and a copy
 * (docs/architecture.md, "RTSP cameras"). ffmpeg listens once its input is open, so the connection
 * is tried again until it answers. Nothing is read until `size` is known (ffmpeg says it after it
 * made the first frame, and blocks meanwhile): a frame is cut by its exact byte count.
 */
export class FrameSocket {
  private socket: Socket | null = null;
  private frameBytes = 0;
  private frame: Buffer | null = null;
  private filled = 0;
  /** read into only before the frame size is known (the socket asks for its first buffer on connecting) */
  private readonly scratch = Buffer.allocUnsafeSlow(64 * 1024);
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly opts: FrameSocketOptions) {
    this.connect();
  }

  /** The frames' size in bytes, once ffmpeg has said it: reading starts. */
  size(bytes: number): void {
    if (this.frameBytes || this.closed) return;
    this.frameBytes = bytes;
    this.frame = this.opts.take(bytes);
    this.socket?.resume();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    if (this.closed) return;
    const s = connect({
      path: this.opts.path,
      onread: { buffer: () => this.next(), callback: (n: number, buf: Uint8Array) => this.read(n, buf) },
    });
    this.socket = s;
    if (!this.frameBytes) s.pause();
    let connected = false;
    s.once('connect', () => (connected = true));
    s.on('error', () => {
      s.destroy();
      // not listening yet (ENOENT, ECONNREFUSED): try again; once connected, ffmpeg's exit ends it all
      if (this.socket === s && !connected && !this.closed)
        this.retry = setTimeout(() => this.connect(), this.opts.retryMs ?? 50);
    });
  }

  /** where the socket reads next: the rest of the frame, straight into its buffer */
  private next(): Buffer {
    return this.frame ? this.frame.subarray(this.filled) : this.scratch;
  }

  private read(n: number, buf: Uint8Array): boolean {
    if (buf !== this.scratch) return this.advance(n);
    // read into the scratch buffer (the first read: its buffer was asked for before the size was known)
    for (let at = 0; at < n;) {
      if (!this.frame) return false;
      const k = Math.min(n - at, this.frameBytes - this.filled);
      this.frame.set(buf.subarray(at, at + k), this.filled);
      at += k;
      this.advance(k);
    }
    return true;
  }

  private advance(n: number): boolean {
    this.filled += n;
    if (this.filled < this.frameBytes) return true;
    const done = this.frame!;
    this.frame = this.opts.take(this.frameBytes);
    this.filled = 0;
    this.opts.frame(done);
    return true;
  }
}
