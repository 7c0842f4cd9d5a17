import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InlineRunner } from '../gateway/2-pipeline/index.ts';
import { startHarness, waitFor } from '../gateway/test/harness.ts';
import { isGatewayMessageTopic } from '../devices/index.ts';
import { misbehave, MISDEEDS, type Misdeed } from './misbehaving.ts';
import { startSensorSim } from './sensor.ts';

test('each misdeed of the misbehaving device is refused or dropped with its reason, and a good device on the same gateway is unaffected', async (t) => {
  const h = await startHarness({ frames: new InlineRunner(null) });
  t.after(() => h.stop());
  const reg = h.gateway.registry;
  const camera = {
    url: h.brokerUrl,
    deviceId: 'bad-cam',
    secret: await reg.add('bad-cam', 'camera'),
    victimId: 'door-1',
  };
  const sensor = {
    url: h.brokerUrl,
    deviceId: 'bad-sensor',
    secret: await reg.add('bad-sensor', 'sensor'),
    victimId: 'door-1',
  };
  const good = await startSensorSim({
    url: h.brokerUrl,
    deviceId: 'door-1',
    secret: await reg.add('door-1', 'sensor'),
    type: 'door',
    every: 0.2,
  });
  t.after(() => good.stop());

  const outcomes: Record<string, string> = {};
  for (const what of MISDEEDS)
    outcomes[what] = await misbehave(what === 'oversized-frame' ? camera : sensor, what as Misdeed);
  assert.deepEqual(outcomes, {
    'wrong-credentials': 'refused',
    'oversized-frame': 'disconnected',
    'malformed-json': 'accepted',
    'invalid-event': 'accepted',
    'foreign-topic': 'disconnected',
    flapping: 'accepted',
  });
  await waitFor(
    'the accepted misdeeds dropped with their reasons',
    () => (h.gateway.counters.refused.EVENT_INVALID ?? 0) >= 1,
  );
  assert.deepEqual(h.gateway.counters.refused, {
    PACKET_TOO_LARGE: 1,
    EVENT_NOT_JSON: 1,
    EVENT_INVALID: 1,
    ACL_DENIED: 1,
  });
  await waitFor('the flapping device seen offline', () => !h.gateway.deviceOnline('bad-sensor'));
  assert.equal(
    h.upstream.filter((r) => r.topic.includes('/bad-')).length,
    0,
    'nothing of the misbehaving device went upstream',
  );
  const before = h.upstream.filter((r) => !isGatewayMessageTopic(r.topic) && r.topic.includes('/door-1/')).length;
  await waitFor(
    'the good sensor still forwarded',
    () => h.upstream.filter((r) => !isGatewayMessageTopic(r.topic) && r.topic.includes('/door-1/')).length > before + 2,
  );
});
