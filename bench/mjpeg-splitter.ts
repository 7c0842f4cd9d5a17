const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

/**
 * The RTSP ingest as it was before raw frames, kept for `npm run bench rtsp` to compare against.
 * Cuts ffmpeg's image2pipe MJPEG stream into whole JPEGs. Inside a JPEG's entropy-coded data every
 * 0xFF is followed by 0x00, so FF D9 only appears as the end marker (ffmpeg's encoder writes no
 * thumbnails). Bounded: bytes that grow past `maxBytes` without an end are thrown away and counted.
 */
export class MjpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  oversized = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const start = this.buf.indexOf(SOI);
      if (start < 0) {
        // keep a last 0xFF: it may be the first half of the next start marker
        this.buf = this.buf.at(-1) === 0xff ? Buffer.from([0xff]) : Buffer.alloc(0);
        break;
      }
      const end = this.buf.indexOf(EOI, start + 2);
      if (end < 0) {
        if (this.buf.length - start > this.maxBytes) {
          this.oversized++;
          this.buf = Buffer.alloc(0);
        } else if (start > 0) this.buf = this.buf.subarray(start);
        break;
      }
      out.push(Buffer.from(this.buf.subarray(start, end + 2)));
      this.buf = this.buf.subarray(end + 2);
    }
    return out;
  }
}
