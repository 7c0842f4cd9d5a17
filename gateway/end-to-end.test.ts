import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { verifyAudit } from './4-records/audit/index.ts';
import { sum, tallyAudit } from './test/audit-tally.ts';
import { loadJpegFrames, startCameraSim, startSensorSim, connectDevice } from '../simulators/index.ts';
import { deviceTopic, isGatewayMessageTopic } from '../devices/index.ts';
import { PHOTOS, startHarness, waitFor } from './test/harness.ts';

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

test('simulated devices through the real broker, models and policy reach upstream as the policy allows, and nothing else does', async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const reg = h.gateway.registry;
  const creds = async (id: string, kind: 'camera' | 'sensor') => ({
    url: h.brokerUrl,
    deviceId: id,
    secret: await reg.add(id, kind),
  });

  // a curious local client subscribed to everything
  const spy = await mqtt.connectAsync(h.brokerUrl, { clientId: 'spy', protocolVersion: 4 });
  const seen: Array<{ topic: string; payload: Buffer }> = [];
  spy.on('message', (topic, payload) => seen.push({ topic, payload }));
  await spy.subscribeAsync('#', { qos: 1 });
  t.after(() => spy.endAsync(true));

  const frames = await loadJpegFrames(PHOTOS);
  const camera = await startCameraSim({ ...(await creds('cam-1', 'camera')), frames, fps: 8 });
  const door = await startSensorSim({ ...(await creds('door-1', 'sensor')), type: 'door', every: 0.3 });
  const motion = await startSensorSim({ ...(await creds('pir-1', 'sensor')), type: 'motion', every: 0.3 });
  t.after(async () => {
    await camera.stop();
    await door.stop();
    await motion.stop();
  });

  // a sensor that sends garbage: accepted and dropped with a reason, never forwarded
  const bad = await connectDevice(await creds('bad-1', 'sensor'));
  await bad.publishAsync(deviceTopic('bad-1', 'events'), '{"type":"door","at":"not a time","open":true}', { qos: 1 });
  await bad.publishAsync(deviceTopic('bad-1', 'events'), 'not json', { qos: 1 });
  await bad.endAsync();

  const records = () =>
    h.upstream
      .filter((r) => !isGatewayMessageTopic(r.topic))
      .map((r) => ({ topic: r.topic, body: JSON.parse(r.payload.toString()) as Record<string, unknown> }));
  await waitFor('counts, door and motion records upstream', () => {
    const types = new Set(records().map((r) => r.topic.split('/').at(-1)));
    return types.has('counts') && types.has('door') && types.has('motion');
  });
  await waitFor('a processed frame with a face', () => h.gateway.ingest.stats.processed >= 4);

  const policy = h.gateway.policy!;
  for (const { topic, body } of records()) {
    const [prefix, gw, device, type] = topic.split('/');
    assert.equal(prefix, 'veilgate');
    assert.equal(gw, 'gw-test');
    assert.deepEqual(body.policy, { id: 'veilgate-default', version: 2, sha256: policy.sha256 });
    assert.match(String(body.id), /^[0-9a-f-]{36}$/);
    const fields = body.fields as Record<string, unknown>;
    if (type === 'counts') {
      assert.equal(device, 'cam-1');
      assert.deepEqual(Object.keys(fields).sort(), ['person', 'vehicle', 'windowEnd', 'windowStart']);
    } else {
      assert.ok(type === 'door' || type === 'motion', `unexpected record type ${type}`);
      assert.deepEqual(Object.keys(fields).sort(), ['at', 'type']);
      assert.match(String(fields.at), /T\d\d:\d\d:00\.000Z$/, 'time rounded to the minute');
    }
    assert.notEqual(device, 'bad-1');
  }
  assert.equal(
    records().filter((r) => r.topic.endsWith('/observation')).length,
    0,
    'per-frame observations are withheld',
  );

  for (const r of [...h.upstream, ...seen]) {
    assert.equal(r.payload.includes(JPEG_MAGIC), false, `JPEG bytes on ${r.topic}`);
    assert.equal(r.payload.includes('/9j/'), false, `base64 JPEG on ${r.topic}`);
  }
  assert.equal(seen.filter((m) => m.topic.endsWith('/frames')).length, 0, 'no frame reaches a subscriber on #');
  assert.equal(seen.filter((m) => m.topic.endsWith('/events')).length, 0, 'no raw event reaches a subscriber on #');
  assert.ok(
    seen.some((m) => m.topic === 'devices/cam-1/status'),
    'device status is visible',
  );
  assert.equal(h.gateway.deviceOnline('cam-1'), true);

  // every decision is recorded with the policy that made it; the real model ran and redacted
  await h.gateway.recordWindowsNow();
  const audit = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  const decisions = audit.decisions;
  assert.ok(decisions.some((d) => d.action === 'withhold' && d.recordType === 'observation' && d.reason === 'NO_RULE'));
  assert.ok(decisions.every((d) => d.policy?.sha256 === policy.sha256));
  // every frame the camera sent is accounted for: one observation decision per processed frame
  const observed = sum(decisions.filter((d) => d.deviceId === 'cam-1' && d.recordType === 'observation'));
  assert.equal(observed, audit.framesProcessed['cam-1']);
  assert.ok((audit.redactions['cam-1']?.face ?? 0) > 0, 'BlazeFace found and redacted the faces in the photos');
  assert.ok(audit.models['cam-1']!.includes('blazeface-front-128'));
  assert.equal(sum(audit.refused), 2);
  assert.doesNotMatch(
    JSON.stringify(audit.entries),
    /not json|not a time/,
    'a rejected payload is described, never quoted',
  );
  assert.equal((await verifyAudit(join(h.gateway.cfg.dataDir, 'audit'))).ok, true);
});
