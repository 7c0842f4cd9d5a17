import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceTopic } from '../devices/index.ts';
import { connectDevice, sampleEvent, startCameraSim } from '../simulators/index.ts';
import { InlineRunner } from './2-pipeline/index.ts';
import { verifyAudit } from './4-records/audit/index.ts';
import { sum, tallyAudit } from './test/audit-tally.ts';
import { PHOTOS, startHarness, waitFor } from './test/harness.ts';

test('the audit windows account for every frame, event and refusal the simulators sent, across several windows', async (t) => {
  // without models every frame is withheld: the camera's frames are all counted as withheld
  const h = await startHarness({ frames: new InlineRunner(null), audit: { windowSeconds: 1 } });
  t.after(() => h.stop());
  const frames = readdirSync(PHOTOS)
    .filter((f) => f.endsWith('.jpg'))
    .slice(0, 2)
    .map((f) => readFileSync(join(PHOTOS, f)));
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames,
    fps: 20,
  });
  const door = await connectDevice({
    url: h.brokerUrl,
    deviceId: 'door-1',
    secret: await h.gateway.registry.add('door-1', 'sensor'),
  });
  const events = 30;
  const malformed = 12;
  for (let i = 0; i < events; i++) {
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', i)), { qos: 1 });
    if (i < malformed)
      await door.publishAsync(deviceTopic('door-1', 'events'), '{"type":"door","at":"never"}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 80)); // about 3 s: several 1 s windows
  }
  await cam.stop();
  await door.endAsync();
  const sent = cam.sent();
  const stats = h.gateway.ingest.stats;
  await waitFor(
    'every frame sent has reached the pipeline',
    () => stats.processed + Object.values(stats.dropped).reduce((a, b) => a + (b ?? 0), 0) >= sent,
  );
  await h.gateway.stop();

  const auditDir = join(h.gateway.cfg.dataDir, 'audit');
  const tally = await tallyAudit(auditDir);
  const windows = tally.entries.filter((e) => e.event.type === 'window' && e.event.deviceId === 'door-1');
  assert.ok(windows.length >= 2, `the events span ${windows.length} window(s)`);
  assert.equal(
    sum(tally.framesWithheld.filter((f) => f.deviceId === 'cam-1')),
    sent,
    'every frame the camera sent is counted',
  );
  const doorDecisions = tally.decisions.filter((d) => d.deviceId === 'door-1');
  assert.equal(sum(doorDecisions), events, 'every event is decided and counted once');
  assert.equal(
    sum(tally.refused.filter((r) => r.deviceId === 'door-1')),
    malformed,
    'every malformed event is counted',
  );
  // the forwards name exactly the records that left
  const forwardedIds = tally.entries.flatMap((e) =>
    e.event.type === 'window'
      ? (e.event.decisions ?? []).flatMap((d) => (d.action === 'forward' ? (d.recordIds ?? []) : []))
      : [],
  );
  const upstreamIds = h.upstream
    .filter((r) => r.topic.endsWith('/door-1/door'))
    .map((r) => (JSON.parse(r.payload.toString()) as { id: string }).id);
  assert.equal(
    sum(doorDecisions.filter((d) => d.action === 'forward')),
    forwardedIds.filter((id) => upstreamIds.includes(id)).length,
  );
  assert.ok(upstreamIds.length > 0);
  assert.deepEqual(
    new Set(upstreamIds),
    new Set(forwardedIds),
    'what left upstream is what the audit log says was forwarded',
  );
  assert.equal((await verifyAudit(auditDir)).ok, true);
});
