import { open, type FileHandle } from 'node:fs/promises';
import type { Segment } from './segment.ts';

const MAX_OPEN = 8;
/** records closer than this are read in one go, the bytes between them thrown away */
const GAP = 16 * 1024;
const MAX_SPAN = 1024 * 1024;

/** Reads records' lines back from segment files, a few open files at a time. */
export class SegmentReader {
  private readonly handles = new Map<Segment, Promise<FileHandle>>();

  /** The lines of these seqs of one segment (without the newline). */
  async read(segment: Segment, seqs: number[]): Promise<Map<number, string>> {
    segment.readers++;
    try {
      return await this.readFrom(segment, await this.handle(segment), seqs);
    } finally {
      segment.readers--;
    }
  }

  private async readFrom(segment: Segment, fh: FileHandle, seqs: number[]): Promise<Map<number, string>> {
    const sorted = [...seqs].sort((a, b) => a - b);
    const out = new Map<number, string>();
    for (let i = 0; i < sorted.length;) {
      const start = segment.offsetOf(sorted[i]!);
      let j = i + 1;
      let end = start + segment.bytesOf(sorted[i]!);
      while (j < sorted.length) {
        const o = segment.offsetOf(sorted[j]!);
        const e = o + segment.bytesOf(sorted[j]!);
        if (o - end > GAP || e - start > MAX_SPAN) break;
        end = Math.max(end, e);
        j++;
      }
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      for (; i < j; i++) {
        const seq = sorted[i]!;
        const from = segment.offsetOf(seq) - start;
        const to = from + segment.bytesOf(seq) - 1;
        // a file shorter than its index (damaged) reads as a damaged line
        out.set(seq, to <= bytesRead ? buf.toString('utf8', from, to) : '');
      }
    }
    return out;
  }

  private handle(segment: Segment): Promise<FileHandle> {
    let h = this.handles.get(segment);
    if (h) {
      // most recently used last
      this.handles.delete(segment);
      this.handles.set(segment, h);
      return h;
    }
    h = open(segment.path, 'r');
    h.catch(() => this.handles.delete(segment));
    this.handles.set(segment, h);
    if (this.handles.size > MAX_OPEN) {
      // the least recently used file that no read is using
      const idle = [...this.handles.keys()].find((s) => s.readers === 0 && s !== segment);
      if (idle) void this.forget(idle);
    }
    return h;
  }

  /** Closes a segment's file, if open. Callers make sure no read of it is under way (`segment.readers`). */
  async forget(segment: Segment): Promise<void> {
    const h = this.handles.get(segment);
    if (!h) return;
    this.handles.delete(segment);
    await h.then((fh) => fh.close()).catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.handles.keys()].map((s) => this.forget(s)));
  }
}
