import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startHarness } from '../../test/harness.ts';
import { rawClient } from '../../test/raw-mqtt.ts';
import { cleanups } from '../../test/cleanup.ts';

test('QoS 1 messages for an offline persistent session survive a gateway restart', async (t) => {
  const defer = cleanups(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'veilgate-persist-'));
  defer(() => rm(dataDir, { recursive: true, force: true }));
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
  defer(() => second.stop());
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
    const c = await mqtt.connectAsync(h.brokerUrl, {
      clientId: 'monitor',
      clean: opts.clean ?? false,
      reconnectPeriod: 0,
    });
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

/** A connection that speaks raw packets, to leave a QoS 2 exchange half done as mqtt.js never does. */
async function rawSession(url: string, clientId: string, clean: boolean) {
  const { socket } = await rawClient(Number(new URL(url).port));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const waiting: Array<{ cmd: string; resolve: (p: Packet) => void }> = [];
  parser.on('packet', (p: Packet) => {
    const i = waiting.findIndex((w) => w.cmd === p.cmd);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(p);
  });
  socket.on('data', (d) => parser.parse(d));
  const next = (cmd: string) => new Promise<Packet>((resolve) => waiting.push({ cmd, resolve }));
  const send = (p: Packet) => socket.write(mqttPacket.generate(p));
  const connack = next('connack');
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 30 });
  await connack;
  return { send, next, close: () => new Promise<void>((r) => socket.end(r)) };
}

test('[MQTT-3.1.2-6] a clean connection ends the inbound QoS 2 state of the session before it', async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const sub = await mqtt.connectAsync(h.brokerUrl, { clientId: 'q2-reader', reconnectPeriod: 0 });
  t.after(() => sub.endAsync());
  const got: string[] = [];
  sub.on('message', (_t, p) => got.push(p.toString()));
  await sub.subscribeAsync('lab/q2', { qos: 2 });
  const publishQos2 = (text: string) => ({
    cmd: 'publish' as const,
    topic: 'lab/q2',
    payload: Buffer.from(text),
    qos: 2 as const,
    messageId: 7,
    retain: false,
    dup: false,
  });

  // a persistent session sends message 7 and goes away before its PUBREL
  const first = await rawSession(h.brokerUrl, 'q2-sensor', false);
  const rec = first.next('pubrec');
  first.send(publishQos2('first'));
  await rec;
  await first.close();
  // a clean connection ends that session
  await (await rawSession(h.brokerUrl, 'q2-sensor', true)).close();
  // so a new persistent session's message 7 is a new message, not the old one sent again [MQTT-4.3.3-2]
  const third = await rawSession(h.brokerUrl, 'q2-sensor', false);
  const rec3 = third.next('pubrec');
  third.send(publishQos2('second'));
  await rec3;
  const comp = third.next('pubcomp');
  third.send({ cmd: 'pubrel', messageId: 7 });
  await comp;
  await third.close();
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got, ['first', 'second']);
});
