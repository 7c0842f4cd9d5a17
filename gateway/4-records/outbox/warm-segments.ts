import type { KeyTable, Segment } from './segment.ts';
import { readSegmentPlaces } from './segment-index.ts';

/** sealed segments read most recently: the uplink reads from one or two at a time */
const WARM_MAX = 4;

/**
 * Which sealed segments keep their offsets and put times in memory: the few read last. The rest
 * are cold (segment.ts) and read theirs back from their index files when they are needed, so a
 * backlog of millions of records costs about 4 bytes a record, not 12 more. A segment whose index
 * file was never written (the head, or one whose write failed) always stays warm.
 */
export class WarmSegments {
  private readonly order = new Set<Segment>();
  private readonly indexed = new WeakSet<Segment>();

  constructor(private readonly keys: KeyTable) {}

  /** Its index file is on disk and matches it: it may go cold, at once with `cold`, else when others are read. */
  markIndexed(s: Segment, { cold }: { cold: boolean }): void {
    this.indexed.add(s);
    if (cold) s.cool();
    else this.touch(s);
  }

  /** Makes sure its offsets and put times are in memory. Callers pin it (`readers`) while they use them. */
  async warm(s: Segment): Promise<void> {
    if (!this.indexed.has(s)) return;
    if (!s.isWarm) s.warm(await readSegmentPlaces(s, this.keys));
    this.touch(s);
  }

  /** Runs `use` with the segment warm and pinned, so no other read makes it cold meanwhile. */
  async with<T>(s: Segment, use: () => T | Promise<T>): Promise<T> {
    s.readers++;
    try {
      await this.warm(s);
      return await use();
    } finally {
      s.readers--;
    }
  }

  /** The segment is deleted. */
  forget(s: Segment): void {
    this.order.delete(s);
  }

  private touch(s: Segment): void {
    this.order.delete(s);
    this.order.add(s);
    for (const old of this.order) {
      if (this.order.size <= WARM_MAX) break;
      if (old.readers > 0) continue;
      old.cool();
      this.order.delete(old);
    }
  }
}
