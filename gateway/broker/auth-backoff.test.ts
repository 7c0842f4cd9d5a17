import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthBackoff } from './auth-backoff.ts';

test('an address waits after its free failures, the wait doubles, and a success clears it', () => {
  const b = new AuthBackoff(3, 1000, 8000);
  const t = 1_000_000;
  b.failed('a', t);
  b.failed('a', t);
  assert.equal(b.waitFor('a', t), 0);
  b.failed('a', t);
  assert.equal(b.waitFor('a', t), 1000);
  b.failed('a', t);
  assert.equal(b.waitFor('a', t), 2000);
  for (let i = 0; i < 10; i++) b.failed('a', t);
  assert.equal(b.waitFor('a', t), 8000, 'capped');
  assert.equal(b.waitFor('b', t), 0, 'other addresses are not affected');
  b.succeeded('a');
  assert.equal(b.waitFor('a', t), 0);
});

test('the table of addresses is bounded', () => {
  const b = new AuthBackoff(1, 1000, 8000, 100);
  for (let i = 0; i < 1000; i++) b.failed(`10.0.${i >> 8}.${i & 255}`, 0);
  assert.equal(b.waitFor('10.0.0.0', 0), 0, 'the oldest were forgotten');
  assert.ok(b.waitFor('10.0.3.231', 0) > 0);
});
