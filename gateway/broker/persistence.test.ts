import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startHarness } from '../test/harness.ts';

test('QoS 1 messages for an offline persistent session survive a gateway restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'veilgate-persist-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startHarness({ allowAnonymous: true, dataDir });
  // a local monitor with a persistent session [MQTT-3.1.2-4], then away
  const monitor = await mqtt.connectAsync(first.brokerUrl, { clientId: 'monitor', clean: false, reconnectPeriod: 0 });
  await monitor.subscribeAsync('lab/alerts', { qos: 1 });
  await monitor.endAsync();
  const pub = await mqtt.connectAsync(first.brokerUrl, { clientId: 'lab-sensor', reconnectPeriod: 0 });
  await pub.publishAsync('lab/alerts', 'kept for the monitor', { qos: 1 });
  await pub.publishAsync('lab/state', 'retained', { qos: 1, retain: true });
  await pub.endAsync();
  await first.stop();

  const second = await startHarness({ allowAnonymous: true, dataDir });
  t.after(() => second.stop());
  const back = await mqtt.connectAsync(second.brokerUrl, { clientId: 'monitor', clean: false, reconnectPeriod: 0 });
  const got: string[] = [];
  back.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
  assert.equal(back.connected, true);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(got, ['lab/alerts=kept for the monitor'], 'the queued message, without subscribing again');
  const fresh = await mqtt.connectAsync(second.brokerUrl, { clientId: 'reader', reconnectPeriod: 0 });
  const retained = new Promise<string>((r) => fresh.once('message', (_t, p) => r(p.toString())));
  await fresh.subscribeAsync('lab/state', { qos: 1 });
  assert.equal(await retained, 'retained', 'retained messages survive too');
  await back.endAsync();
  await fresh.endAsync();
});
