import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';

test('a local consumer reads what the policy forwarded on local/..., and can neither publish nor read device topics', async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const monitorSecret = await h.gateway.registry.add('monitor-1', 'consumer');
  const monitor = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'monitor-1',
    username: 'monitor-1',
    password: monitorSecret,
    reconnectPeriod: 0,
  });
  t.after(() => monitor.endAsync(true));
  const seen: Array<{ topic: string; body: string }> = [];
  monitor.on('message', (topic, payload) => seen.push({ topic, body: payload.toString() }));
  await monitor.subscribeAsync('local/#', { qos: 0 });
  await assert.rejects(monitor.subscribeAsync('devices/#', { qos: 0 }), 'device topics are not for consumers');

  // an anonymous lab client on # sees no local records [authorizeForward]
  const lab = await mqtt.connectAsync(h.brokerUrl, { clientId: 'lab', reconnectPeriod: 0 });
  t.after(() => lab.endAsync(true));
  const labSeen: string[] = [];
  lab.on('message', (topic) => labSeen.push(topic));
  await lab.subscribeAsync('#', { qos: 0 });

  const door = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'door-1',
    username: 'door-1',
    password: await h.gateway.registry.add('door-1', 'sensor'),
    reconnectPeriod: 0,
  });
  t.after(() => door.endAsync(true));
  await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
  await waitFor('the record on local/', () => seen.some((m) => m.topic === 'local/door-1/door'));
  const rec = JSON.parse(seen.find((m) => m.topic === 'local/door-1/door')!.body) as {
    fields: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(rec.fields), ['type', 'at'], 'exactly what went upstream');
  // positive control: the lab's subscription to # does deliver, only nothing under local/
  await lab.publishAsync('lab/control', 'x', { qos: 1 });
  await waitFor("the lab's own message", () => labSeen.includes('lab/control'));
  assert.ok(!labSeen.some((topic) => topic.startsWith('local/')));

  const closed = new Promise<void>((r) => monitor.once('close', () => r()));
  monitor.publish('local/door-1/door', 'forged');
  await closed;
  assert.ok(!labSeen.includes('local/door-1/door'));
});
