import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, queryAudit, verifyAudit } from './index.ts';

async function rotatedLog(t: { after(fn: () => Promise<void>): void }, entries: number, segmentBytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-audit-rot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await AuditLog.open(dir);
  const rotations: Promise<unknown>[] = [];
  for (let i = 0; i < entries; i++) {
    const written = log.record({ type: 'device', action: 'added', deviceId: `d${i}`, kind: 'sensor' });
    // rotation starts while entries keep being recorded, as with the gateway's timer
    if (i % 10 === 9) rotations.push(log.rotateIfLarger(segmentBytes));
    if (i % 3 === 0) await written;
  }
  await Promise.all(rotations);
  await log.drain();
  return { dir, log };
}

test('a rotated log verifies across its numbered files, with no entry lost or reordered', async (t) => {
  const { dir, log } = await rotatedLog(t, 200, 2000);
  await log.close();
  const files: string[] = [];
  for (const f of await readdir(dir)) if (f.endsWith('.jsonl') && (await stat(join(dir, f))).size > 0) files.push(f);
  assert.ok(files.length > 5, `${files.length} files`);
  const r = await verifyAudit(dir);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.entries, 200);
  assert.equal(r.files, files.length);
  const ids: string[] = [];
  for await (const e of queryAudit(dir)) if (e.event.type === 'device') ids.push(e.event.deviceId);
  assert.deepEqual(
    ids,
    Array.from({ length: 200 }, (_, i) => `d${i}`),
  );
});

test('reopened right after a rotation, the log continues the chain from the newest segment', async (t) => {
  const { dir, log } = await rotatedLog(t, 50, 500);
  await log.rotateIfLarger(1); // leaves an empty active file
  await log.close();
  const again = await AuditLog.open(dir);
  assert.equal(again.chainHead.seq, 50);
  await again.record({ type: 'gateway', action: 'start', version: 'test' });
  await again.close();
  assert.ok((await verifyAudit(dir)).ok);
});

test('retention removes the oldest segments, records it in the chain, and what remains verifies from the anchor', async (t) => {
  const { dir, log } = await rotatedLog(t, 200, 2000);
  const removed = await log.prune(new Date(0), 6000); // keep about 6 kB
  await log.close();
  assert.ok(removed > 0);
  const r = await verifyAudit(dir);
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.from.seq > 0, 'the chain now starts after the removed entries');
  const kinds: string[] = [];
  for await (const e of queryAudit(dir)) kinds.push(e.event.type);
  assert.equal(kinds.at(-1), 'audit-pruned');
});

test('segments older than retainDays are removed; newer ones are kept', async (t) => {
  const { dir, log } = await rotatedLog(t, 100, 2000);
  const segs = (await readdir(dir)).filter((f) => /^audit\.\d+\.jsonl$/.test(f)).sort();
  const old = new Date(Date.now() - 10 * 86_400_000);
  for (const f of segs.slice(0, 2)) await utimes(join(dir, f), old, old);
  const removed = await log.prune(new Date(Date.now() - 5 * 86_400_000), 1 << 30);
  await log.close();
  assert.equal(removed, 2);
  assert.ok((await verifyAudit(dir)).ok);
});

/** A rotated log whose first three segments were removed by retention (by age: deterministic). */
async function prunedLog(t: { after(fn: () => Promise<void>): void }) {
  const { dir, log } = await rotatedLog(t, 200, 2000);
  const segs = (await readdir(dir)).filter((f) => /^audit\.\d+\.jsonl$/.test(f)).sort();
  assert.ok(segs.length >= 6, `${segs.length} segments`);
  const old = new Date(Date.now() - 10 * 86_400_000);
  for (const f of segs.slice(0, 3)) await utimes(join(dir, f), old, old);
  assert.equal(await log.prune(new Date(Date.now() - 86_400_000), 1 << 30), 3);
  await log.close();
  return dir;
}

test('deleting old segments by hand, or moving the anchor, does not verify', async (t) => {
  const dir = await prunedLog(t);
  assert.ok((await verifyAudit(dir)).ok);
  const segs = (await readdir(dir)).filter((f) => /^audit\.\d+\.jsonl$/.test(f)).sort();
  await unlink(join(dir, segs[0]!));
  const r = await verifyAudit(dir);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.problem : '', /removed or reordered|previous entry/);

  const dir2 = await prunedLog(t);
  const segs2 = (await readdir(dir2)).filter((f) => /^audit\.\d+\.jsonl$/.test(f)).sort();
  // someone removes one more segment and moves the anchor to hide it
  const hidden = segs2[0]!;
  const lines: Array<{ seq: number; hash: string }> = [];
  for await (const e of queryAudit(dir2)) lines.push(e);
  await unlink(join(dir2, hidden));
  let first = Infinity;
  for await (const e of queryAudit(dir2)) first = Math.min(first, e.seq);
  const before = lines.find((e) => e.seq === first - 1)!;
  await writeFile(join(dir2, 'anchor.json'), JSON.stringify({ seq: before.seq, hash: before.hash }));
  const r2 = await verifyAudit(dir2);
  assert.equal(r2.ok, false);
  assert.match(!r2.ok ? r2.problem : '', /no entry records that retention removed it/);
});
