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

test('QoS 1 messages are queued for an offline persistent session exactly while it is subscribed', async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const pub = await mqtt.connectAsync(h.brokerUrl, { clientId: 'lab-sensor', reconnectPeriod: 0 });
  t.after(() => pub.endAsync());
  const send = (text: string) => pub.publishAsync('lab/alerts', text, { qos: 1 });
  /** connects as the monitor, optionally changes its subscription, and returns what was waiting for it */
  const visit = async (opts: { clean?: boolean; subscribe?: boolean; unsubscribe?: boolean } = {}) => {
    const got: string[] = [];
    const c = await mqtt.connectAsync(h.brokerUrl, { clientId: 'monitor', clean: opts.clean ?? false, reconnectPeriod: 0 });
    c.on('message', (_t, p) => got.push(p.toString()));
    await new Promise((r) => setTimeout(r, 300));
    if (opts.subscribe) await c.subscribeAsync('lab/+', { qos: 1 });
    if (opts.unsubscribe) await c.unsubscribeAsync('lab/+');
    await c.endAsync();
    return got;
  };
  await send('before anyone subscribed'); // the broker has now asked who is subscribed to lab/alerts
  await visit({ subscribe: true });
  await send('one');
  assert.deepEqual(await visit({ unsubscribe: true }), ['one'], 'queued once the session subscribed');
  await send('two');
  assert.deepEqual(await visit({ subscribe: true }), [], 'not queued after it unsubscribed');
  await send('three');
  // a clean connection ends the session and its subscriptions [MQTT-3.1.2-6]
  assert.deepEqual(await visit({ clean: true }), []);
  await send('four');
  assert.deepEqual(await visit(), [], 'not queued after the session ended');
});
