import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from 'mqemitter';
import { createMessageEmitter } from './message-emitter.ts';

const turn = () => new Promise((r) => setImmediate(r));

test('a remembered match follows every subscribe and unsubscribe on the emitter', async () => {
  const mq = createMessageEmitter(100);
  // who got each message, one entry per emit
  const got: string[] = [];
  let now: string[] = [];
  const a = (_m: Message, done: () => void) => (now.push('a'), done());
  const b = (_m: Message, done: () => void) => (now.push('b'), done());
  const emit = async (topic: string) => {
    now = [];
    mq.emit({ topic });
    await turn();
    got.push(now.sort().join('+') || 'nobody');
  };
  mq.on('s/+/t', a);
  await turn();
  await emit('s/1/t');
  await emit('s/1/t'); // answered from the cache
  mq.on('s/#', b);
  await emit('s/1/t');
  mq.removeListener('s/+/t', a);
  await turn(); // mqemitter removes on the next turn
  await emit('s/1/t');
  mq.removeListener('s/#', b);
  await turn();
  await emit('s/1/t');
  mq.on('s/1/t', a);
  await emit('s/1/t');
  assert.deepEqual(got, ['a', 'a', 'a+b', 'b', 'nobody', 'a']);
});

test('past its size the cache starts again and still answers right', async () => {
  const mq = createMessageEmitter(100);
  const got = new Set<string>();
  mq.on('d/+', (m, done) => (got.add(m.topic), done()));
  await turn();
  for (let i = 0; i < 3000; i++) mq.emit({ topic: `d/${i}` });
  mq.emit({ topic: 'other/1' });
  await turn();
  assert.equal(got.size, 3000);
  assert.ok(!got.has('other/1'));
});
