import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';
import { sum, tallyAudit } from '../test/audit-tally.ts';
import { startHarness, waitFor, YESTERDAY } from '../test/harness.ts';
import { connectDevice, sampleEvent } from '../../simulators/index.ts';
import { deviceTopic } from '../../devices/index.ts';

const entry = (i: number, key = 'dev-1', at = Date.now()) => ({ id: `r${i}`, topic: `t/${i}`, payload: JSON.stringify({ i }), key, at });

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

test('devices take turns: a long backlog from one device does not hold up another\'s records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 5; i++) await box.put(entry(i, 'busy'));
  await box.put(entry(100, 'quiet'));
  assert.deepEqual([...box.pending()].map((e) => e.id).slice(0, 3), ['r0', 'r100', 'r1']);
  assert.deepEqual([...box.pending()].filter((e) => e.key === 'busy').map((e) => e.id), ['r0', 'r1', 'r2', 'r3', 'r4'], 'each device in order');
  await box.close();
});

test('when full, refuse-new refuses and keeps every accepted entry', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, { maxBytes: 1000, maxAgeSeconds: 3600, whenFull: 'refuse-new' });
  let refused = 0;
  for (let i = 0; i < 50; i++) await box.put(entry(i)).catch((e: Error & { code?: string }) => (assert.equal(e.code, 'OUTBOX_FULL'), refused++));
  assert.ok(refused > 0 && box.size > 0 && box.size + refused === 50);
  assert.ok(box.bytes <= 1000);
  assert.deepEqual([...box.pending()].map((e) => e.id), Array.from({ length: box.size }, (_, i) => `r${i}`), 'the first ones kept');
  assert.equal(box.drops.OUTBOX_FULL, refused);
  await box.close();
});

test('when full, drop-oldest drops the oldest entries, tells why, and the drops survive a reopen', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const bounds = { maxBytes: 1000, maxAgeSeconds: 3600, whenFull: 'drop-oldest' as const };
  const box = await DurableOutbox.open(dir, bounds);
  const dropped: string[] = [];
  box.on('dropped', (e, reason) => dropped.push(`${e.id}:${reason}`));
  for (let i = 0; i < 50; i++) await box.put(entry(i));
  const kept = [...box.pending()].map((e) => e.id);
  assert.equal(kept.at(-1), 'r49', 'the newest kept');
  assert.equal(dropped[0], 'r0:OUTBOX_FULL');
  assert.equal(dropped.length + kept.length, 50);
  await box.close();
  const again = await DurableOutbox.open(dir, bounds);
  assert.deepEqual([...again.pending()].map((e) => e.id), kept);
  await again.close();
});

test('entries older than the age bound are dropped as expired', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, { maxBytes: 1e9, maxAgeSeconds: 60, whenFull: 'refuse-new' });
  const t0 = Date.parse('2026-11-25T00:00:00Z');
  await box.put(entry(1, 'd', t0));
  await box.put(entry(2, 'd', t0 + 30_000));
  assert.equal(box.oldestAt, t0);
  await box.expire(t0 + 61_000);
  assert.deepEqual([...box.pending()].map((e) => e.id), ['r2']);
  assert.equal(box.drops.OUTBOX_EXPIRED, 1);
  await box.close();
});

test('a large backlog is not rewritten on every acknowledgement', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  const big = 'x'.repeat(2000);
  await Promise.all(Array.from({ length: 3000 }, (_, i) => box.put({ ...entry(i), payload: big })));
  const file = join(dir, 'outbox.jsonl');
  const before = (await stat(file)).ino;
  for (let i = 0; i < 100; i++) await box.ack(`r${i}`);
  assert.equal((await stat(file)).ino, before, 'no compaction while the log is mostly pending entries');
  for (let i = 100; i < 2900; i++) await box.ack(`r${i}`);
  // compaction runs beside the acks, not inside them
  await waitFor('compacted once it was mostly acknowledged history', async () => (await stat(file)).ino !== before);
  await box.close();
  const again = await DurableOutbox.open(dir);
  assert.equal(again.size, 100);
  await again.close();
});

test('a gateway whose outbox is full drops the oldest records, counts them and writes each drop to the audit log', async (t) => {
  const h = await startHarness({ outbox: { maxBytes: 1024 * 1024, whenFull: 'drop-oldest' } });
  t.after(() => h.stop());
  await h.gateway.uplink.stop(); // the agency's broker is away
  const device = await connectDevice({ url: h.brokerUrl, deviceId: 'door-1', secret: await h.gateway.registry.add('door-1', 'sensor') });
  t.after(() => device.endAsync(true));
  // door events are small: it takes a few thousand to fill 1 MiB
  let n = 0;
  while (!h.gateway.outbox.drops.OUTBOX_FULL && n < 20_000) {
    await Promise.all(Array.from({ length: 200 }, () => device.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n++, new Date(YESTERDAY + n))), { qos: 1 })));
  }
  const dropped = h.gateway.outbox.drops.OUTBOX_FULL ?? 0;
  assert.ok(dropped > 0, `drops after ${n} events`);
  assert.ok(h.gateway.outbox.bytes <= 1024 * 1024);
  // the gateway's own signed audit head goes through the outbox too, and may drop one more meanwhile
  await waitFor('the drops audited', async () => {
    await h.gateway.recordWindowsNow();
    const drops = (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).outboxDrops;
    return sum(drops.filter((d) => d.reason === 'OUTBOX_FULL')) === h.gateway.outbox.drops.OUTBOX_FULL;
  });
  const body = await (await fetch(`http://127.0.0.1:${h.gateway.httpAddress!.port}/metrics`)).text();
  assert.match(body, new RegExp(`veilgate_outbox_dropped_total\\{reason="OUTBOX_FULL"\\} ${h.gateway.outbox.drops.OUTBOX_FULL}`));
});
