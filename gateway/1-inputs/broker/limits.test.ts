import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { startHarness, waitFor, type Harness } from '../../test/harness.ts';
import { connectPacket, publishHeader, rawClient } from '../../test/raw-mqtt.ts';

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const port = (h: Harness) => Number(new URL(h.brokerUrl).port);

/** A device logged in over a raw socket, ready to send whatever bytes a test wants. */
async function rawDevice(h: Harness, id: string, kind: 'camera' | 'sensor') {
  const secret = await h.gateway.registry.add(id, kind);
  const c = await rawClient(port(h));
  c.socket.write(connectPacket(id, id, secret));
  await waitFor('CONNACK', () => c.received().subarray(0, 4).equals(CONNACK_OK));
  return c;
}

/** A well-behaved sensor that must keep working while others misbehave. */
async function goodSensor(h: Harness) {
  const secret = await h.gateway.registry.add('good-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'good-1',
    username: 'good-1',
    password: secret,
    reconnectPeriod: 0,
  });
  return {
    client: c,
    async works() {
      await c.publishAsync(
        deviceTopic('good-1', 'events'),
        JSON.stringify({ type: 'door', at: new Date().toISOString(), open: true }),
        { qos: 1 },
      );
    },
  };
}

test('a PUBLISH announcing 20 MiB is cut off at its header, before any of it is buffered, and others carry on', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const good = await goodSensor(h);
  t.after(() => good.client.endAsync(true));
  const cam = await rawDevice(h, 'cam-1', 'camera');
  const rssBefore = process.memoryUsage().rss;
  cam.socket.write(publishHeader(deviceTopic('cam-1', 'frames'), 20 * 1024 * 1024));
  await cam.closed;
  assert.equal(h.gateway.counters.refused.PACKET_TOO_LARGE, 1);
  assert.ok(process.memoryUsage().rss - rssBefore < 10 * 1024 * 1024);
  await good.works();
});

test('each kind has its own packet limit: a camera may send a 2 MiB frame, a sensor not a 100 KiB event', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const cam = await rawDevice(h, 'cam-1', 'camera');
  cam.socket.write(
    Buffer.concat([publishHeader(deviceTopic('cam-1', 'frames'), 2 * 1024 * 1024), Buffer.alloc(2 * 1024 * 1024)]),
  );
  await waitFor(
    'the frame taken in',
    () =>
      Object.values(h.gateway.ingest.stats.dropped).reduce((a, b) => a + b, 0) + h.gateway.ingest.stats.processed >= 1,
  );
  assert.equal(cam.isClosed(), false);
  const sensor = await rawDevice(h, 'door-1', 'sensor');
  sensor.socket.write(publishHeader(deviceTopic('door-1', 'events'), 100 * 1024, 1));
  await sensor.closed;
  assert.equal(h.gateway.counters.refused.PACKET_TOO_LARGE, 1);
});

for (const [name, topic, code] of [
  ['a topic with 40 levels', `devices/door-1/${'a/'.repeat(40)}events`, 'TOPIC_TOO_DEEP'],
  ['a 1000-byte topic', `devices/door-1/${'x'.repeat(1000)}`, 'TOPIC_TOO_LONG'],
  ['a topic with a NUL byte', Buffer.from('devices/door-1/ev\u0000ents'), 'TOPIC_HAS_NUL'],
] as const) {
  test(`${name} is cut off on the socket with ${code}`, async (t) => {
    const h = await startHarness();
    t.after(() => h.stop());
    const c = await rawDevice(h, 'door-1', 'sensor');
    c.socket.write(Buffer.concat([publishHeader(topic, 2, 1), Buffer.from('{}')]));
    await c.closed;
    assert.equal(h.gateway.counters.refused[code], 1);
  });
}

test('connections beyond broker.limits.maxConnections are closed at once; the others stay', async (t) => {
  const h = await startHarness({ broker: { limits: { maxConnections: 3 } } });
  t.after(() => h.stop());
  const clients = [await rawClient(port(h)), await rawClient(port(h)), await rawClient(port(h))];
  const extra = await rawClient(port(h));
  await extra.closed;
  assert.ok(clients.every((c) => !c.isClosed()));
  await waitFor('the refusal counted', () => h.gateway.counters.refused.TOO_MANY_CONNECTIONS === 1);
  for (const c of clients) c.socket.destroy();
});

test('a client that connects and never sends CONNECT is dropped after connectTimeoutMs', async (t) => {
  const h = await startHarness({ broker: { limits: { connectTimeoutMs: 600 } } });
  t.after(() => h.stop());
  const idle = await rawClient(port(h));
  const started = Date.now();
  await idle.closed;
  const took = Date.now() - started;
  assert.ok(took >= 500 && took < 5000, `${took} ms`);
});

test('after 3 wrong secrets an address must wait, even with the right one', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const tryLogin = (password: string) =>
    mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', username: 'door-1', password, reconnectPeriod: 0 }).then(
      (c) => (c.end(true), 'ok'),
      (e: Error) => e.message,
    );
  for (let i = 0; i < 3; i++) assert.match(await tryLogin('guess'), /Bad username or password/);
  assert.match(await tryLogin('guess'), /Not authorized/);
  assert.match(await tryLogin(secret), /Not authorized/, 'even the right secret waits');
});

test("no client may take over a device's client id, so nobody can kick a camera off by connecting as it", async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const other = await h.gateway.registry.add('door-2', 'sensor');
  const door = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'door-1',
    username: 'door-1',
    password: secret,
    reconnectPeriod: 0,
  });
  t.after(() => door.endAsync(true));
  await assert.rejects(mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', reconnectPeriod: 0 }), /Not authorized/);
  await assert.rejects(
    mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', username: 'door-2', password: other, reconnectPeriod: 0 }),
    /Not authorized/,
  );
  assert.equal(door.connected, true);
});

test('removing or rotating a device with the CLI disconnects it at once, and its old secret no longer works', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const { DeviceRegistry } = await import('../../foundation/registry/index.ts');
  const cli = await DeviceRegistry.open(h.gateway.cfg.dataDir);
  const s1 = await cli.add('door-1', 'sensor');
  const s2 = await cli.add('door-2', 'sensor');
  const d1 = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'door-1',
    username: 'door-1',
    password: s1,
    reconnectPeriod: 0,
  });
  const d2 = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'door-2',
    username: 'door-2',
    password: s2,
    reconnectPeriod: 0,
  });
  t.after(() => Promise.all([d1.endAsync(true), d2.endAsync(true)]));
  const closed = (c: mqtt.MqttClient) => new Promise<void>((r) => c.once('close', () => r()));
  const c1 = closed(d1);
  await cli.rotate('door-1');
  await c1;
  const c2 = closed(d2);
  await cli.remove('door-2');
  await c2;
  await assert.rejects(
    mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', username: 'door-1', password: s1, reconnectPeriod: 0 }),
    /Bad username or password/,
  );
});

test("no device may take a local consumer's session, a consumer connects only with ids it owns, and nobody reads $SYS", async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const dash = await h.gateway.registry.add('dash', 'consumer');
  const door = await h.gateway.registry.add('door-1', 'sensor');
  const consumer = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'dash/wall-screen',
    username: 'dash',
    password: dash,
    reconnectPeriod: 0,
  });
  t.after(() => consumer.endAsync(true));
  await assert.rejects(
    mqtt.connectAsync(h.brokerUrl, {
      clientId: 'dash/wall-screen',
      username: 'door-1',
      password: door,
      reconnectPeriod: 0,
    }),
    /Not authorized/,
  );
  await assert.rejects(
    mqtt.connectAsync(h.brokerUrl, { clientId: 'dash/wall-screen', reconnectPeriod: 0 }),
    /Not authorized/,
    'nor an anonymous client',
  );
  await assert.rejects(
    mqtt.connectAsync(h.brokerUrl, { clientId: 'dashboard-a', username: 'dash', password: dash, reconnectPeriod: 0 }),
    /Not authorized/,
    'a consumer uses an id it owns',
  );
  assert.equal(consumer.connected, true, 'the consumer kept its session');
  // $SYS names every connected client: an anonymous lab client's subscription to it is refused (granted QoS 128)
  const lab = await mqtt.connectAsync(h.brokerUrl, { clientId: 'lab', reconnectPeriod: 0 });
  t.after(() => lab.endAsync(true));
  await assert.rejects(lab.subscribeAsync('$SYS/#', { qos: 0 }), /Unspecified error/);
  const granted = await lab.subscribeAsync('lab/#', { qos: 0 });
  assert.deepEqual(
    granted.map((g) => g.qos),
    [0],
    'the positive control on the same connection is granted',
  );
});
