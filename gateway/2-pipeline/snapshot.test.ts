import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startCameraSim } from '../../simulators/index.ts';
import { tallyAudit } from '../test/audit-tally.ts';
import { PHOTOS, startHarness, waitFor } from '../test/harness.ts';
import { detailInside } from '../test/image-metrics.ts';

const FACE = { x1: 173, y1: 74, x2: 277, y2: 178 }; // astronaut.png, 512x512

test('a policy that lets snapshots out gets redacted ones, at most one per interval, and never the original', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-snap-'));
  const policyFile = join(dir, 'snapshots.yaml');
  await writeFile(
    policyFile,
    `id: snapshots
version: 1
title: Redacted snapshots every 30 s
vision:
  snapshots: { leave: true, everySeconds: 30, maxWidth: 640 }
rules:
  - id: snapshots
    match: { deviceKinds: [camera], recordTypes: [snapshot] }
    allow: [at, width, height, jpeg]
`,
  );
  const h = await startHarness({ policyFile });
  t.after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const original = await sharp(join(PHOTOS, 'astronaut.png')).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames: [original],
    fps: 5,
  });
  t.after(() => cam.stop());
  await waitFor('several frames processed', () => h.gateway.ingest.stats.processed >= 6);
  const snaps = h.upstream.filter((r) => r.topic.endsWith('/snapshot'));
  assert.equal(snaps.length, 1, 'one snapshot per 30 s per camera');
  const rec = JSON.parse(snaps[0]!.payload.toString()) as { fields: { jpeg: string; width: number; height: number } };
  const jpeg = Buffer.from(rec.fields.jpeg, 'base64');
  assert.deepEqual([rec.fields.width, rec.fields.height], [512, 512]);
  assert.ok(!jpeg.equals(original));
  const before = await detailInside(original, FACE);
  const after = await detailInside(jpeg, FACE);
  assert.ok(
    after < before * 0.4,
    `face detail in the snapshot ${after.toFixed(1)}, in the original ${before.toFixed(1)}`,
  );
  assert.equal(h.upstream.filter((r) => r.topic.endsWith('/counts')).length, 0, 'the policy allows nothing else');
});

test('with the default policy no snapshot is ever made', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const frames = [await readFile(join(PHOTOS, 'astronaut.png')).then((b) => sharp(b).jpeg().toBuffer())];
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames,
    fps: 5,
  });
  t.after(() => cam.stop());
  await waitFor('several frames processed', () => h.gateway.ingest.stats.processed >= 4);
  await h.gateway.recordWindowsNow();
  const decisions = (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).decisions;
  assert.ok(decisions.some((d) => d.recordType === 'observation'));
  assert.ok(!decisions.some((d) => d.recordType === 'snapshot'), 'not even a withheld one: nothing was encoded');
});
