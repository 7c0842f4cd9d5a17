import mqemitter from 'mqemitter';

/** A first-in first-out queue with the three array members mqemitter uses, each O(1). */
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

  get length(): number {
    return this.items.length - this.head;
  }
}

/** the fields of mqemitter 7 that hold messages waiting for a delivery slot */
interface QueueFields {
  _messageQueue: unknown;
  _messageCallbacks: unknown;
}

/**
 * aedes's message emitter, as aedes makes it (MQTT-4.7.1-3 empty levels, `concurrency` deliveries at
 * once), but with O(1) queues. mqemitter 7.1 keeps the messages that wait for a delivery slot in
 * arrays it shift()s from the front, which copies the rest each time: with 50 publishers sending to
 * one subscriber thousands wait, and 60% of the broker's CPU went into those copies (a CPU profile
 * of `npm run bench broker`'s fan-in), for 13-15k messages/s. With these queues: about 60k.
 */
export function createMessageEmitter(concurrency: number): mqemitter.MQEmitter {
  const mq = mqemitter({ concurrency, matchEmptyLevels: true });
  const fields = mq as unknown as QueueFields;
  if (!Array.isArray(fields._messageQueue) || !Array.isArray(fields._messageCallbacks)) {
    // another mqemitter: keep its own queues rather than guess (message-emitter.test.ts says so)
    return mq;
  }
  fields._messageQueue = new Fifo();
  fields._messageCallbacks = new Fifo();
  return mq;
}
