/** A first-in first-out queue with the three array members mqemitter uses (push, shift, length), each O(1). */
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  push(item: T): number {
    this.items.push(item);
    return this.length;
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // drop the consumed front once it is most of the array: amortized O(1), memory bounded by the queue
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** the oldest item, left in place */
  peek(): T | undefined {
    return this.head === this.items.length ? undefined : this.items[this.head];
  }

  get length(): number {
    return this.items.length - this.head;
  }
}
