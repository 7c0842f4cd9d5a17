/**
 * Cuts ffmpeg's rawvideo stream into frames of exactly `frameBytes` (width x height x 3 for RGB).
 * Each frame gets an ArrayBuffer of its own, so it can be moved to a frame worker without a copy;
 * at most one frame is held.
 */
export class RawFrameSplitter {
  private frame: Buffer;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    this.frame = Buffer.allocUnsafeSlow(frameBytes);
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, this.frameBytes - this.filled);
      chunk.copy(this.frame, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === this.frameBytes) {
        out.push(this.frame);
        this.frame = Buffer.allocUnsafeSlow(this.frameBytes);
        this.filled = 0;
      }
    }
    return out;
  }
}
