/**
 * One device's pending seqs in put order, with a cursor for what has been handed to the uplink.
 * Held as four-byte distances from a base seq: what a device has pending spans far fewer than 2^32 seqs.
 */
class Queue {
  private buf = new Uint32Array(16);
  private base = 0;
  private head = 0;
  private cursor = 0;
  private tail = 0;

  push(seq: number): void {
    if (this.head === this.tail) this.base = seq;
    if (this.tail === this.buf.length) {
      if (this.head > this.buf.length / 2) {
        // mostly delivered: move what is left to the front instead of growing
        this.buf.copyWithin(0, this.head, this.tail);
      } else {
        const bigger = new Uint32Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(this.head, this.tail));
        this.buf = bigger;
      }
      this.tail -= this.head;
      this.cursor -= this.head;
      this.head = 0;
    }
    if (seq - this.base > 0xffffffff) this.rebase();
    this.buf[this.tail++] = seq - this.base;
  }

  /** Measures from the oldest seq held, so the distances fit again. */
  private rebase(): void {
    const by = this.buf[this.head]!;
    for (let i = this.head; i < this.tail; i++) this.buf[i]! -= by;
    this.base += by;
  }

  private at(i: number): number {
    return this.base + this.buf[i]!;
  }

  /** Forgets settled seqs at the front; true once nothing is left. */
  trim(settled: (seq: number) => boolean): boolean {
    while (this.head < this.tail && settled(this.at(this.head))) this.head++;
    if (this.cursor < this.head) this.cursor = this.head;
    if (this.head < this.tail) return false;
    this.head = this.cursor = this.tail = 0;
    return true;
  }

  /** The next seq not handed out and not settled, or null. */
  next(settled: (seq: number) => boolean): number | null {
    while (this.cursor < this.tail) {
      const seq = this.at(this.cursor++);
      if (!settled(seq)) return seq;
    }
    return null;
  }

  rewind(): void {
    this.cursor = this.head;
  }

  *all(settled: (seq: number) => boolean): Generator<number> {
    for (let i = this.head; i < this.tail; i++) if (!settled(this.at(i))) yield this.at(i);
  }
}

/**
 * Pending seqs per device. The uplink takes from the devices in turn, so a device with a long
 * backlog does not hold up the others' live records, and each device's records in put order.
 */
export class DeviceQueues {
  private readonly queues = new Map<number, Queue>();
  /** the device to start the next round with */
  private turn = 0;

  constructor(private readonly settled: (seq: number) => boolean) {}

  push(key: number, seq: number): void {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = new Queue()));
    q.push(seq);
  }

  /** Up to `max` seqs not handed out since the last rewind, one device after the other. */
  take(max: number): number[] {
    const out: number[] = [];
    const queues = [...this.queues.values()];
    const n = queues.length;
    let idle = 0;
    for (let i = this.turn % Math.max(1, n); out.length < max && idle < n; i = (i + 1) % n) {
      const seq = queues[i]!.next(this.settled);
      if (seq === null) idle++;
      else {
        idle = 0;
        out.push(seq);
        this.turn = i + 1;
      }
    }
    return out;
  }

  /** Everything not settled is handed out again: after the uplink reconnects, unacknowledged records are sent again. */
  rewind(): void {
    for (const q of this.queues.values()) q.rewind();
  }

  /** Drops settled seqs from the fronts and forgets devices with nothing left. */
  trim(): void {
    for (const [key, q] of this.queues) if (q.trim(this.settled)) this.queues.delete(key);
  }

  /** Every pending seq, in the order `take` would hand them out after a rewind (for tests and tools). */
  all(): number[] {
    const its = [...this.queues.values()].map((q) => q.all(this.settled));
    const out: number[] = [];
    while (its.length > 0) {
      for (let i = 0; i < its.length;) {
        const r = its[i]!.next();
        if (r.done) its.splice(i, 1);
        else {
          out.push(r.value);
          i++;
        }
      }
    }
    return out;
  }
}
