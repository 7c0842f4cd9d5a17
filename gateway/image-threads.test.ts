import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { configFromObject } from './foundation/config/index.ts';
import { startHarness } from './test/harness.ts';

test('image threads are capped from the core count, leaving one core for the broker, unless configured', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  assert.equal(sharp.concurrency(), Math.max(1, availableParallelism() - 1));
  assert.equal(configFromObject({ vision: { threads: 3 } }, '/').vision.threads, 3);
  assert.throws(() => configFromObject({ vision: { threads: 0 } }, '/'));
});
