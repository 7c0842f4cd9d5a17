import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.ts';

test('reconnect delays double up to the maximum, with jitter in the upper half of each step', () => {
  const lo = new Backoff(1000, 8000, () => 0);
  const hi = new Backoff(1000, 8000, () => 1);
  assert.deepEqual(
    Array.from({ length: 6 }, () => lo.next()),
    [500, 1000, 2000, 4000, 4000, 4000],
  );
  assert.deepEqual(
    Array.from({ length: 6 }, () => hi.next()),
    [1000, 2000, 4000, 8000, 8000, 8000],
  );
  hi.reset();
  assert.equal(hi.next(), 1000);
});
