import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { InlineRunner } from '../../../2-pipeline/index.ts';
import { startHarness, waitFor } from '../../../test/harness.ts';
import { Fifo } from '../fifo.ts';
import { createMessageEmitter } from './message-emitter.ts';

test('the queue gives items back in the order they came, across its compaction', () => {
  const q = new Fifo<number>();
  assert.equal(q.shift(), undefined);
  let next = 0;
  let expected = 0;
  // uneven push/shift so the front is dropped many times while items are still queued
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(next++);
    for (let i = 0; i < 250; i++) assert.equal(q.shift(), expected++);
    assert.equal(q.length, next - expected);
  }
  while (q.length > 0) assert.equal(q.shift(), expected++);
  assert.equal(expected, next);
  assert.equal(q.shift(), undefined);
});

test('mqemitter keeps the messages that wait for a delivery slot in our queue, and delivers them in order', async () => {
  const mq = createMessageEmitter(1);
  const got: number[] = [];
  const held: Array<() => void> = [];
  mq.on('a/+', (m, done) => {
    got.push(m.n as number);
    held.push(done);
  });
  await new Promise((r) => setImmediate(r));
  for (let n = 0; n < 10; n++) mq.emit({ topic: 'a/b', n });
  // one delivery at a time: the other nine wait, in the queue this module put in (not mqemitter's array)
  const queue = (mq as unknown as { _messageQueue: unknown })._messageQueue;
  assert.ok(queue instanceof Fifo, 'mqemitter still keeps its waiting messages in _messageQueue');
  assert.equal(queue.length, 9);
  while (got.length < 10) {
    held.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  held.shift()!();
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(queue.length, 0);
});

test("fan-in through the broker: 50 publishers to one wildcard subscriber, every message delivered in each publisher's order, QoS 0 and 1", async (t) => {
  const h = await startHarness({ allowAnonymous: true, frames: new InlineRunner(null) });
  t.after(() => h.stop());
  for (const qos of [0, 1] as const) {
    const sub = await mqtt.connectAsync(h.brokerUrl, { clientId: `fanin-sub-${qos}`, reconnectPeriod: 0 });
    const seen = new Map<string, number[]>();
    sub.on('message', (topic, payload) => {
      const list = seen.get(topic) ?? [];
      list.push(payload.readUInt32BE(0));
      seen.set(topic, list);
    });
    await sub.subscribeAsync('lab/+/t', { qos });
    const pubs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        mqtt.connectAsync(h.brokerUrl, { clientId: `fanin-${qos}-${i}`, reconnectPeriod: 0 }),
      ),
    );
    const PER = 200;
    // all at once, far more than the broker's 100 deliveries in flight: most wait in the queue
    await Promise.all(
      pubs.map(async (p, i) => {
        const sends = [];
        for (let k = 0; k < PER; k++) {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(k);
          sends.push(p.publishAsync(`lab/${i}/t`, b, { qos }));
        }
        await Promise.all(sends);
      }),
    );
    const total = () => [...seen.values()].reduce((a, l) => a + l.length, 0);
    await waitFor(`all ${50 * PER} messages at QoS ${qos}`, () => total() === 50 * PER, 60_000);
    for (const [topic, list] of seen)
      assert.deepEqual(
        list,
        Array.from({ length: PER }, (_, k) => k),
        topic,
      );
    await Promise.all([...pubs, sub].map((c) => c.endAsync(true)));
  }
});
