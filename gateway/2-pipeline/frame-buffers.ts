/**
 * Raw frames' memory, used again. An RTSP camera's frames are megabytes each, and a new buffer per
 * frame costs the kernel's page faults and V8's collector more than reading the frame does
 * (docs/architecture.md, "RTSP cameras"). A frame worker hands each raw frame's ArrayBuffer back
 * when it is done with it; the reader of the next frame takes one of the same size. What is held
 * is bounded in bytes: a buffer over the bound is left to the collector.
 */
export class FrameBuffers {
  private readonly free: ArrayBuffer[] = [];
  private held = 0;

  constructor(private readonly maxBytes = 24 * 1024 * 1024) {}

  /** A buffer of exactly `bytes` bytes, alone in its ArrayBuffer (so it can be moved to a worker). */
  take(bytes: number): Buffer {
    const i = this.free.findIndex((b) => b.byteLength === bytes);
    if (i < 0) return Buffer.allocUnsafeSlow(bytes);
    const [b] = this.free.splice(i, 1);
    this.held -= bytes;
    return Buffer.from(b!);
  }

  /** A frame's buffer nobody reads any more. Its old pixels are overwritten whole before it is a frame again. */
  give(b: ArrayBuffer): void {
    if (b.byteLength === 0 || b.byteLength > this.maxBytes) return; // moved away, or larger than the bound
    while (this.held + b.byteLength > this.maxBytes) this.held -= this.free.shift()!.byteLength;
    this.free.push(b);
    this.held += b.byteLength;
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.held;
  }
}
