import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { deviceTopic, isGatewayMessageTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';

test('unknown devices and wrong secrets are refused at CONNECT', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  await h.gateway.registry.add('door-1', 'sensor');
  for (const [username, password] of [
    ['door-1', 'wrong'],
    ['ghost', 'x'],
  ] as const) {
    await assert.rejects(
      mqtt.connectAsync(h.brokerUrl, { username, password, reconnectPeriod: 0 }),
      /Bad username or password|Not authorized/,
    );
  }
  await assert.rejects(mqtt.connectAsync(h.brokerUrl, { reconnectPeriod: 0 }), /Not authorized/);
});

test('a device publishing under another device id, or on a channel its kind lacks, is disconnected', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const camSecret = await h.gateway.registry.add('cam-1', 'camera');
  const doorSecret = await h.gateway.registry.add('door-1', 'sensor');
  for (const [username, password, topic] of [
    ['cam-1', camSecret, deviceTopic('door-1', 'events')],
    ['door-1', doorSecret, deviceTopic('door-1', 'frames')],
    ['door-1', doorSecret, '$SYS/hack'],
  ] as const) {
    const c = await mqtt.connectAsync(h.brokerUrl, { username, password, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(topic, JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
    await closed;
    await c.endAsync(true);
  }
  assert.equal(h.upstream.filter((r) => r.topic.endsWith('/door')).length, 0);
});

test('devices cannot subscribe to anything, frames included', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  t.after(() => c.endAsync(true));
  for (const filter of ['#', 'devices/+/frames', '+/+/frames', 'local/#']) {
    // mqtt.js reports a SUBACK return code of 0x80 (failure) as an error
    await assert.rejects(c.subscribeAsync(filter), /Subscribe error/, filter);
  }
});

test('with no valid policy the gateway runs, forwards nothing, and records why', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-broken-policy-'));
  const broken = join(dir, 'policy.yaml');
  await writeFile(broken, 'id: p\nversion: 1\nrules: [\n');
  const h = await startHarness({ policyFile: broken });
  // the gateway first (it watches the file), then its folder
  t.after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal(h.gateway.policy, null);
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  for (let i = 0; i < 3; i++)
    await c.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', i)), { qos: 1 });
  await c.endAsync();
  await waitFor('three decisions', () => h.gateway.counters.decisions.withhold >= 3);
  assert.equal(h.gateway.counters.decisions.forward, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(h.upstream.filter((r) => !isGatewayMessageTopic(r.topic)).length, 0);
  // positive control: the agency's broker does hear from this gateway, only no record
  assert.ok(
    h.upstream.some((r) => isGatewayMessageTopic(r.topic)),
    "the gateway's own messages arrived upstream",
  );
});

test('a QoS 1 event is in the outbox before its PUBACK reaches the device', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  await h.gateway.uplink.stop(); // upstream away: records must wait in the outbox
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  await c.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
  assert.equal(h.gateway.outbox.size, 1, 'stored by the time the PUBACK arrived');
  await c.endAsync();
});

test('a device added with the CLI while the gateway runs can connect at once', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const { DeviceRegistry } = await import('../../foundation/registry/index.ts');
  const cli = await DeviceRegistry.open(h.gateway.cfg.dataDir); // what `veilgate devices add` does
  const secret = await cli.add('late-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, { username: 'late-1', password: secret, reconnectPeriod: 0 });
  await c.endAsync();
});
