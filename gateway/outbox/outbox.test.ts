import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';

const entry = (i: number) => ({ id: `r${i}`, topic: `t/${i}`, payload: JSON.stringify({ i }) });

test('entries put and not acknowledged come back, in order, after reopening', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 10; i++) await box.put(entry(i));
  await box.ack('r0');
  await box.ack('r5');
  await box.close();
  const again = await DurableOutbox.open(dir);
  assert.deepEqual([...again.pending()].map((e) => e.id), ['r1', 'r2', 'r3', 'r4', 'r6', 'r7', 'r8', 'r9']);
  await again.close();
});

test('a torn last entry from a power cut is cut off, not parsed as a record', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  await box.put(entry(1));
  await box.close();
  await appendFile(join(dir, 'outbox.jsonl'), '{"op":"put","e":{"id":"r2","topic":"t/2","payl');
  const again = await DurableOutbox.open(dir);
  assert.deepEqual([...again.pending()].map((e) => e.id), ['r1']);
  assert.ok(again.recovered.tornBytes > 0);
  await again.put(entry(3));
  await again.close();
  const third = await DurableOutbox.open(dir);
  assert.deepEqual([...third.pending()].map((e) => e.id), ['r1', 'r3']);
  await third.close();
});

test('concurrent puts share fsyncs and all survive', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  await Promise.all(Array.from({ length: 2000 }, (_, i) => box.put(entry(i))));
  await box.close();
  const again = await DurableOutbox.open(dir);
  assert.equal(again.size, 2000);
  await again.close();
});
