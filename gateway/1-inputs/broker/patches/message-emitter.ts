import mqemitter from 'mqemitter';
import { Fifo } from '../fifo.ts';
import { cacheMatches, type TopicMatcher } from './match-cache.ts';

/** the fields of mqemitter 7 that hold messages waiting for a delivery slot */
interface QueueFields {
  _messageQueue: unknown;
  _messageCallbacks: unknown;
  _matcher?: Partial<TopicMatcher>;
}

/**
 * aedes's message emitter, as aedes makes it (MQTT-4.7.1-3 empty levels, `concurrency` deliveries at
 * once), but with O(1) queues. mqemitter 7.1 keeps the messages that wait for a delivery slot in
 * arrays it shift()s from the front, which copies the rest each time: with many publishers sending
 * to one subscriber thousands wait, and most of the broker's CPU went into those copies
 * (docs/performance.md, "Figures behind code choices").
 * Its topic matcher remembers its answers until the subscriptions change (match-cache.ts).
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
  const m = fields._matcher;
  if (typeof m?.add === 'function' && typeof m.remove === 'function' && typeof m.match === 'function')
    cacheMatches(m as TopicMatcher);
  return mq;
}
