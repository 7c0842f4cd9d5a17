import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';
import { sum, tallyAudit } from '../../test/audit-tally.ts';
import { startHarness, waitFor, YESTERDAY } from '../../test/harness.ts';
import { connectDevice, sampleEvent } from '../../../simulators/index.ts';
import { deviceTopic } from '../../../devices/index.ts';

const entry = (i: number, key = 'dev-1', at = Date.now()) => ({
  id: `r${i}`,
  topic: `t/${i}`,
  payload: JSON.stringify({ i }),
  key,
  at,
});

/** acknowledges by record id, as the uplink does by seq after the agency's PUBACK */
async function ackIds(box: DurableOutbox, ...ids: string[]): Promise<void> {
  const seqs = new Map((await box.list()).map((e) => [e.id, e.seq]));
  for (const id of ids) box.ack(seqs.get(id)!);
}
const ids = async (box: DurableOutbox) => (await box.list()).map((e) => e.id);
const segmentFiles = async (dir: string) => (await readdir(dir)).filter((n) => /^seg-\d+\.log$/.test(n)).sort();

test('entries put and not acknowledged come back, in order, after reopening', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 10; i++) await box.put(entry(i));
  await ackIds(box, 'r0', 'r5');
  await box.close();
  const again = await DurableOutbox.open(dir);
  assert.deepEqual(await ids(again), ['r1', 'r2', 'r3', 'r4', 'r6', 'r7', 'r8', 'r9']);
  assert.equal(again.size, 8);
  await again.close();
});

test('take hands each pending entry out once until a rewind, then everything not acknowledged again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 5; i++) await box.put(entry(i));
  const first = await box.take(3);
  assert.deepEqual(
    first.map((e) => e.id),
    ['r0', 'r1', 'r2'],
  );
  assert.deepEqual(first[0], { ...entry(0, 'dev-1', first[0]!.at), seq: first[0]!.seq }, 'the entry as it was put');
  assert.deepEqual(
    (await box.take(10)).map((e) => e.id),
    ['r3', 'r4'],
  );
  assert.deepEqual(await box.take(10), []);
  box.ack(first[1]!.seq);
  box.rewind();
  assert.deepEqual(
    (await box.take(10)).map((e) => e.id),
    ['r0', 'r2', 'r3', 'r4'],
  );
  await box.close();
});

test('a torn last entry from a power cut is cut off, not parsed as a record', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  await box.put(entry(1));
  await box.close();
  const [head] = await segmentFiles(dir);
  await appendFile(join(dir, head!), '{"s":1,"e":{"id":"r2","topic":"t/2","payl');
  const again = await DurableOutbox.open(dir);
  assert.deepEqual(await ids(again), ['r1']);
  assert.ok(again.recovered.tornBytes > 0);
  await again.put(entry(3));
  await again.close();
  const third = await DurableOutbox.open(dir);
  assert.deepEqual(await ids(third), ['r1', 'r3']);
  assert.equal(third.recovered.corruptLines, 0);
  await third.close();
});

test('concurrent puts share fsyncs and all survive', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  await Promise.all(Array.from({ length: 2000 }, (_, i) => box.put(entry(i))));
  assert.ok(box.syncs < 200, `${box.syncs} syncs for 2000 puts`);
  await box.close();
  const again = await DurableOutbox.open(dir);
  assert.equal(again.size, 2000);
  await again.close();
});

test("devices take turns: a long backlog from one device does not hold up another's records", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 5; i++) await box.put(entry(i, 'busy'));
  await box.put(entry(100, 'quiet'));
  assert.deepEqual(
    (await box.take(3)).map((e) => e.id),
    ['r0', 'r100', 'r1'],
  );
  assert.deepEqual(
    (await box.list()).filter((e) => e.key === 'busy').map((e) => e.id),
    ['r0', 'r1', 'r2', 'r3', 'r4'],
    'each device in order',
  );
  await box.close();
});

test('when full, refuse-new refuses and keeps every accepted entry', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, { maxBytes: 1000, maxAgeSeconds: 3600, whenFull: 'refuse-new' });
  let refused = 0;
  for (let i = 0; i < 50; i++)
    await box.put(entry(i)).catch((e: Error & { code?: string }) => (assert.equal(e.code, 'OUTBOX_FULL'), refused++));
  assert.ok(refused > 0 && box.size > 0 && box.size + refused === 50);
  assert.ok(box.bytes <= 1000);
  assert.deepEqual(
    await ids(box),
    Array.from({ length: box.size }, (_, i) => `r${i}`),
    'the first ones kept',
  );
  assert.equal(box.drops.OUTBOX_FULL, refused);
  await box.close();
});

test('when full, drop-oldest drops the oldest entries, tells why, and the drops survive a reopen', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const bounds = { maxBytes: 1000, maxAgeSeconds: 3600, whenFull: 'drop-oldest' as const };
  const box = await DurableOutbox.open(dir, bounds);
  const dropped: string[] = [];
  box.on('dropped', (e, reason) => dropped.push(`${e.id}:${e.key}:${reason}`));
  for (let i = 0; i < 50; i++) await box.put(entry(i));
  const kept = await ids(box);
  assert.equal(kept.at(-1), 'r49', 'the newest kept');
  assert.equal(dropped[0], 'r0:dev-1:OUTBOX_FULL');
  assert.equal(dropped.length + kept.length, 50);
  assert.ok(box.bytes <= 1000);
  await box.close();
  const again = await DurableOutbox.open(dir, bounds);
  assert.deepEqual(await ids(again), kept);
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
  assert.deepEqual(await ids(box), ['r2']);
  assert.equal(box.drops.OUTBOX_EXPIRED, 1);
  assert.equal(box.oldestAt, t0 + 30_000);
  // put times are kept to the second, rounded up: a record is never dropped before its age is up
  await box.put(entry(3, 'e', t0 + 40_500));
  await box.expire(t0 + 100_499);
  assert.deepEqual(await ids(box), ['r3']);
  await box.close();
});

test('segments are deleted, oldest first, once everything in them is delivered; the rest reopen from their index files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: 4096 });
  for (let i = 0; i < 300; i++) await box.put(entry(i, `dev-${i % 3}`));
  await waitFor('the segments sealed', async () => (await readdir(dir)).filter((n) => n.endsWith('.idx')).length >= 5);
  const many = (await segmentFiles(dir)).length;
  // the uplink delivers the first 200 (each device's oldest, in turn)
  for (const e of await box.take(200)) box.ack(e.seq);
  await waitFor('the delivered segments deleted', async () => (await segmentFiles(dir)).length < many);
  const left = (await ids(box)).sort();
  assert.equal(left.length, 100);
  await box.close();
  const indexed = await DurableOutbox.open(dir, undefined, { segmentBytes: 4096 });
  assert.ok(indexed.recovered.readIndexes >= 1, 'sealed segments read through their index files');
  assert.deepEqual((await ids(indexed)).sort(), left);
  assert.deepEqual(
    (await indexed.list()).filter((e) => e.key === 'dev-0').map((e) => e.id),
    left.filter((id) => Number(id.slice(1)) % 3 === 0).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    'each device in order',
  );
  await indexed.close();
  // lost or damaged index files are rebuilt from their segments
  const idx = (await readdir(dir)).filter((n) => n.endsWith('.idx'));
  assert.ok(idx.length >= 2);
  await rm(join(dir, idx[0]!));
  await writeFile(join(dir, idx[1]!), 'garbage');
  const rebuilt = await DurableOutbox.open(dir, undefined, { segmentBytes: 4096 });
  assert.deepEqual((await ids(rebuilt)).sort(), left);
  assert.equal(rebuilt.recovered.corruptLines, 0);
  assert.equal(rebuilt.recovered.rebuiltIndexes, 2);
  await rebuilt.close();
  assert.ok((await readdir(dir)).filter((n) => n.endsWith('.idx')).includes(idx[0]!), 'and written again');
});

test('a backlog in many sealed segments is held cold: taken in order, expired to the second, and read from its segment when its index goes bad after the start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const bounds = { maxBytes: 1e9, maxAgeSeconds: 3600, whenFull: 'refuse-new' } as const;
  const t0 = Date.parse('2026-11-25T00:00:00Z');
  // filled with no age bound, as a box whose clock says it is still 25 November
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  // one record a minute from each of two devices
  for (let i = 0; i < 240; i++) await box.put(entry(i, `dev-${i % 2}`, t0 + i * 30_000));
  await box.close();
  const cold = await DurableOutbox.open(dir, bounds, { segmentBytes: 2048 });
  t.after(() => cold.close());
  assert.ok(cold.segmentCount > 10);
  // the head, and the last segment if it was sealed by this start, are warm
  assert.ok(cold.coldSegments >= cold.segmentCount - 2, 'the sealed segments cold after a start');
  assert.equal(cold.oldestAt, t0, "a cold segment's oldest put time");
  // what a cold segment's index held, damaged since: its records are read from the segment itself
  const idx = (await readdir(dir)).filter((n) => n.endsWith('.idx')).sort();
  await writeFile(join(dir, idx[3]!), 'garbage');
  const order = (await cold.list()).map((e) => e.id);
  assert.deepEqual(
    order.filter((_, i) => i % 2 === 0),
    Array.from({ length: 120 }, (_, i) => `r${2 * i}`),
    'each device in put order',
  );
  assert.ok(cold.coldSegments >= cold.segmentCount - 5, 'only the few read last stay warm');
  // an hour's bound at 00:59:30.5 + 1 h: records put up to 00:59:30 are old, the one at 01:00:00 is not
  await cold.expire(t0 + 119 * 30_000 + 500 + 3600_000);
  assert.equal(cold.drops.OUTBOX_EXPIRED, 120);
  assert.equal(cold.oldestAt, t0 + 120 * 30_000);
  assert.deepEqual((await ids(cold)).slice(0, 2), ['r120', 'r121']);
  const taken = await cold.take(500);
  assert.equal(taken.length, 120);
  for (const e of taken) cold.ack(e.seq);
  assert.equal(cold.size, 0);
});

test('a cold segment whose files are gone when it is due to expire: its records are dropped as corrupt, and puts go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const t0 = Date.parse('2026-11-25T00:00:00Z');
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  for (let i = 0; i < 120; i++) await box.put(entry(i, 'dev-1', t0 + i * 30_000));
  await box.close();
  const bounds = { maxBytes: 1e9, maxAgeSeconds: 3600, whenFull: 'refuse-new' } as const;
  const cold = await DurableOutbox.open(dir, bounds, { segmentBytes: 2048 });
  t.after(() => cold.close());
  const [firstLog] = await segmentFiles(dir);
  assert.ok(cold.coldSegments > 2, 'sealed segments cold after the start');
  // lost: the card was swapped, a person deleted it
  await rm(join(dir, firstLog!));
  await rm(join(dir, firstLog!.replace(/\.log$/, '.idx')), { force: true });
  // an hour after the second record: the first segment holds records on both sides of the bound
  await cold.put(entry(999, 'dev-2', t0 + 30_000 + 3600_000 + 500));
  assert.ok((cold.drops.OUTBOX_CORRUPT ?? 0) > 0, 'the lost records dropped as corrupt');
  const left = await ids(cold);
  assert.ok(left.includes('r999'), 'the put went through');
  assert.ok(!left.includes('r0') && !left.includes('r1'), 'nothing of the lost segment is pending');
});

test('a long drain with no new records fills segments with acks alone, each its own file, and the head keeps what comes next', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  await Promise.all(Array.from({ length: 2000 }, (_, i) => box.put(entry(i))));
  await box.close();
  const draining = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  for (let got = await draining.take(50); got.length > 0; got = await draining.take(50)) {
    for (const e of got) draining.ack(e.seq);
    await new Promise((r) => setImmediate(r));
  }
  // each segment its own file: a head that only took acks is not followed by one of the same name
  await waitFor(
    'the delivered segments deleted, one file for each segment left',
    async () => {
      const files = (await segmentFiles(dir)).length;
      return files <= 3 && files === draining.segmentCount;
    },
    5000,
  );
  await draining.close();
  const drained = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  assert.equal(drained.size, 0, 'every ack reached a file that is still there');
  await drained.put(entry(1000));
  await drained.close();
  const again = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  assert.deepEqual(await ids(again), ['r1000'], 'the record put after the drain is still there');
  await again.close();
});

test('a damaged line in a sealed segment is found when it is read: an audited OUTBOX_CORRUPT drop, and the others go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  for (let i = 0; i < 60; i++) await box.put(entry(i));
  await box.close();
  const [first] = await segmentFiles(dir);
  const text = await readFile(join(dir, first!), 'utf8');
  // the card flips bytes in the middle of r3's payload, keeping the file's size
  const at = text.indexOf('"id":"r3"') + 30;
  await writeFile(join(dir, first!), text.slice(0, at) + '\u0000\u0000' + text.slice(at + 2));
  const again = await DurableOutbox.open(dir, undefined, { segmentBytes: 2048 });
  const dropped: string[] = [];
  again.on('dropped', (e, reason) => dropped.push(`${e.id}:${reason}`));
  const sent = (await again.take(100)).map((e) => e.id);
  assert.deepEqual(dropped, ['r3:OUTBOX_CORRUPT']);
  assert.deepEqual(
    sent,
    Array.from({ length: 60 }, (_, i) => `r${i}`).filter((id) => id !== 'r3'),
  );
  assert.equal(again.drops.OUTBOX_CORRUPT, 1);
  await again.close();
});

test('a damaged line in the newest segment is a lost record at open, copied aside, and not counted again at the next open', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const box = await DurableOutbox.open(dir);
  for (let i = 0; i < 5; i++) await box.put(entry(i));
  await box.close();
  const [head] = await segmentFiles(dir);
  const lines = (await readFile(join(dir, head!), 'utf8')).split('\n');
  lines[2] = lines[2]!.slice(0, 40) + '#'.repeat(10) + lines[2]!.slice(50);
  await writeFile(join(dir, head!), lines.join('\n'));
  const again = await DurableOutbox.open(dir);
  assert.deepEqual(
    again.recovered.lost.map((l) => l.id),
    ['r2'],
  );
  assert.equal(again.recovered.corruptLines, 1);
  assert.ok(
    again.recovered.quarantined && (await stat(again.recovered.quarantined)).size > 0,
    'the damaged file is kept for inspection',
  );
  assert.deepEqual(await ids(again), ['r0', 'r1', 'r3', 'r4']);
  await again.put(entry(5));
  await again.close();
  const third = await DurableOutbox.open(dir);
  assert.deepEqual(third.recovered.lost, [], 'reported once');
  assert.deepEqual(await ids(third), ['r0', 'r1', 'r3', 'r4', 'r5']);
  await third.close();
});

test('an outbox.jsonl left by an earlier version is moved into segments, its delivered records left behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-outbox-'));
  t.after(() => rm(dir, { recursive: true }));
  const put = (i: number) => JSON.stringify({ op: 'put', e: entry(i, 'dev-1', 1_700_000_000_000 + i) });
  await writeFile(
    join(dir, 'outbox.jsonl'),
    [put(0), put(1), JSON.stringify({ op: 'ack', id: 'r0' }), put(2), ''].join('\n'),
  );
  const box = await DurableOutbox.open(dir);
  assert.deepEqual(await ids(box), ['r1', 'r2']);
  assert.equal(box.recovered.entries, 2);
  await box.close();
  assert.ok(!(await readdir(dir)).includes('outbox.jsonl'));
  const again = await DurableOutbox.open(dir);
  assert.deepEqual(await ids(again), ['r1', 'r2']);
  await again.close();
});

test('a gateway whose outbox is full drops the oldest records, counts them and writes each drop to the audit log', async (t) => {
  const h = await startHarness({ outbox: { maxBytes: 1024 * 1024, whenFull: 'drop-oldest' } });
  t.after(() => h.stop());
  await h.gateway.uplink.stop(); // the agency's broker is away
  const device = await connectDevice({
    url: h.brokerUrl,
    deviceId: 'door-1',
    secret: await h.gateway.registry.add('door-1', 'sensor'),
  });
  t.after(() => device.endAsync(true));
  // door events are small: it takes a few thousand to fill 1 MiB
  let n = 0;
  while (!h.gateway.outbox.drops.OUTBOX_FULL && n < 20_000) {
    await Promise.all(
      Array.from({ length: 200 }, () =>
        device.publishAsync(
          deviceTopic('door-1', 'events'),
          JSON.stringify(sampleEvent('door', n++, new Date(YESTERDAY + n))),
          { qos: 1 },
        ),
      ),
    );
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
  assert.match(
    body,
    new RegExp(`veilgate_outbox_dropped_total\\{reason="OUTBOX_FULL"\\} ${h.gateway.outbox.drops.OUTBOX_FULL}`),
  );
});
