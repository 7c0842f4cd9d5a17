import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceQueues } from './device-queues.ts';

test('devices take turns, each device in put order, and a rewind hands everything out again', () => {
  const settled = new Set<number>();
  const q = new DeviceQueues((seq) => settled.has(seq));
  for (const [key, seq] of [
    [1, 10],
    [1, 11],
    [1, 12],
    [2, 13],
    [2, 14],
  ] as const)
    q.push(key, seq);
  assert.deepEqual(q.take(3), [10, 13, 11]);
  assert.deepEqual(q.take(10), [14, 12]);
  settled.add(10);
  q.rewind();
  assert.deepEqual(q.take(10), [13, 11, 14, 12], 'the round goes on where it was');
});

test('seqs past 2^32 queue as any other', () => {
  const settled = new Set<number>();
  const q = new DeviceQueues((seq) => settled.has(seq));
  const big = 2 ** 32 + 7;
  q.push(1, 5);
  settled.add(5);
  q.trim();
  for (let i = 0; i < 40; i++) q.push(1, big + i * 3);
  assert.deepEqual(q.take(3), [big, big + 3, big + 6]);
  assert.equal(q.all().at(-1), big + 39 * 3);
});
