import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { filesUnder } from '../../test/files-under.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AedesOptions } from 'aedes';
import mqtt from 'mqtt';
import { ClassicLevel } from 'classic-level';
import AsyncPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { startHarness, waitFor, YESTERDAY } from '../../test/harness.ts';
import { InlineRunner } from '../../2-pipeline/runner.ts';
import { loadJpegFrames } from '../../../simulators/index.ts';
import { PHOTOS } from '../../test/harness.ts';
import { deviceTopic } from '../../../devices/index.ts';
import { createLogger } from '../../foundation/log.ts';
import { brokerHooks, storedWillProblem, type BrokerHandlers } from './index.ts';
import { openBrokerPersistence } from './persistence.ts';
import { listenTcp } from './listen.ts';
import { cleanups } from '../../test/cleanup.ts';

const connect = (url: string, o: mqtt.IClientOptions) =>
  mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...o });

test('a will is checked at CONNECT: a device may leave only offline on its own status topic, a consumer none', async (t) => {
  const h = await startHarness({ frames: new InlineRunner(null) });
  t.after(() => h.stop());
  const camSecret = await h.gateway.registry.add('cam-1', 'camera');
  const dashSecret = await h.gateway.registry.add('dash', 'consumer');
  const [jpeg] = await loadJpegFrames(PHOTOS);
  const cam = (will: mqtt.IClientOptions['will']) =>
    connect(h.brokerUrl, { clientId: 'cam-1', username: 'cam-1', password: camSecret, will });
  for (const will of [
    { topic: deviceTopic('cam-1', 'status'), payload: jpeg!, qos: 1 as const, retain: true },
    { topic: 'local/cam-2/counts', payload: Buffer.from('{"person":0}'), qos: 1 as const, retain: false },
    { topic: deviceTopic('cam-2', 'status'), payload: Buffer.from('offline'), qos: 1 as const, retain: true },
  ]) {
    await assert.rejects(cam(will), /Not authorized/i, `a will on ${will.topic} is refused`);
  }
  await assert.rejects(
    connect(h.brokerUrl, {
      clientId: 'dash',
      username: 'dash',
      password: dashSecret,
      will: { topic: 'local/x', payload: Buffer.from('x'), qos: 0, retain: false },
    }),
    /Not authorized/i,
  );
  assert.ok((h.gateway.counters.refused.WILL_DENIED ?? 0) >= 3, 'counted against the device');
  // the positive control on the same broker: the will every simulated device sends connects, and is
  // published when the connection breaks
  const ok = await cam({
    topic: deviceTopic('cam-1', 'status'),
    payload: Buffer.from('offline'),
    qos: 1,
    retain: true,
  });
  await ok.publishAsync(deviceTopic('cam-1', 'status'), 'online', { qos: 1, retain: true });
  await waitFor('online', () => h.gateway.deviceOnline('cam-1'));
  (ok as unknown as { stream: { destroy(): void } }).stream.destroy();
  await waitFor('the will said offline', () => !h.gateway.deviceOnline('cam-1'));
});

test('wills an earlier run stored are checked again before aedes publishes them: forged ones are deleted, a device offline is delivered', async (t) => {
  const defer = cleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-wills-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const [jpeg] = await loadJpegFrames(PHOTOS);
  // what an earlier version, which checked no will, left in the store
  {
    const db = new ClassicLevel<string, Buffer>(join(dir, 'broker'));
    const old = new AsyncPersistence(db) as unknown as {
      setup(b: unknown): Promise<void>;
      putWill(c: { id: string }, p: object): Promise<void>;
      destroy(): Promise<void>;
    };
    await old.setup({ id: 'veilgate-gw-old' });
    await old.putWill(
      { id: 'cam-1' },
      { cmd: 'publish', topic: deviceTopic('cam-1', 'status'), payload: jpeg!, qos: 1, retain: true, dup: false },
    );
    await old.putWill(
      { id: 'cam-2' },
      {
        cmd: 'publish',
        topic: 'local/cam-2/counts',
        payload: Buffer.from('{"person":99}'),
        qos: 1,
        retain: false,
        dup: false,
      },
    );
    await old.putWill(
      { id: 'door-1' },
      {
        cmd: 'publish',
        topic: deviceTopic('door-1', 'status'),
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
        dup: false,
      },
    );
    await old.destroy();
  }
  const kinds: Record<string, 'camera' | 'sensor'> = { 'cam-1': 'camera', 'cam-2': 'camera', 'door-1': 'sensor' };
  const handlers: BrokerHandlers = {
    authenticate: async () => null,
    isDevice: (id) => id in kinds,
    deviceKind: (id) => kinds[id] ?? null,
    certificate: async () => ({ code: 'CERT_UNKNOWN_DEVICE', problem: 'no certificates here' }),
    frame: () => {},
    event: async () => {},
    status: () => {},
    refused: () => {},
  };
  const store = await openBrokerPersistence(join(dir, 'broker'));
  const refused: string[] = [];
  store.persistence.willCheck = (w) => storedWillProblem(w, (id) => kinds[id] ?? null, true);
  store.persistence.onWillRefused = (w) => refused.push(w.clientId ?? '');
  const limits = {
    sensorPacketBytes: 65536,
    controlPacketBytes: 65536,
    maxTopicLevels: 8,
    maxSubscriptionsPerClient: 100,
    authFailuresBeforeBackoff: 5,
  };
  // a real aedes that publishes stored wills every 200 ms instead of every 4 minutes
  const broker = await Aedes.createBroker({
    id: 'veilgate-gw-new',
    heartbeatInterval: 50,
    persistence: store.persistence as unknown as AedesOptions['persistence'],
    ...brokerHooks(handlers, { allowAnonymous: true, maxFrameBytes: 1 << 20, limits }, createLogger('silent')),
  });
  const { server, address } = await listenTcp(broker, '127.0.0.1', 0, {
    guard: { publishBytes: 1 << 21, controlBytes: 65536, maxTopicBytes: 512, maxTopicLevels: 8 },
    maxConnections: 100,
    noDelay: true,
    onViolation: () => {},
    onConnectionRefused: () => {},
  });
  defer(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
  });
  const got: Array<{ topic: string; bytes: number }> = [];
  const lab = await connect(`mqtt://127.0.0.1:${address.port}`, { clientId: 'lab' });
  defer(() => lab.endAsync(true));
  lab.on('message', (topic, payload) => got.push({ topic, bytes: payload.length }));
  await lab.subscribeAsync('#', { qos: 1 });
  await waitFor(
    'the legitimate stored will delivered',
    () => got.some((m) => m.topic === deviceTopic('door-1', 'status')),
    10_000,
  );
  await waitFor('the forged ones refused', () => refused.length === 2, 10_000);
  assert.deepEqual(refused.sort(), ['cam-1', 'cam-2']);
  await new Promise((r) => setTimeout(r, 400)); // two more rounds of aedes's will sweep
  assert.deepEqual(
    got.filter((m) => m.topic !== deviceTopic('door-1', 'status') && !m.topic.startsWith('$SYS')),
    [],
    'no forged will reached the subscriber',
  );
  const getWill = (store.persistence as unknown as { getWill(c: { id: string }): Promise<unknown> }).getWill({
    id: 'cam-1',
  });
  assert.equal(await getWill, undefined, 'and the forged will is gone from the store');
});

test(
  'nothing a device sends reaches the broker store raw: persistent sessions, QoS 2, wills and lab mode, then every file under dataDir is searched',
  { timeout: 60_000 },
  async (t) => {
    const h = await startHarness({ frames: new InlineRunner(null), allowAnonymous: true });
    t.after(() => h.stop());
    const dataDir = h.gateway.cfg.dataDir;
    const [jpeg] = await loadJpegFrames(PHOTOS);
    const jpegSample = jpeg!.subarray(2000, 2064);
    const camSecret = await h.gateway.registry.add('cam-1', 'camera');
    const incidentSecret = await h.gateway.registry.add('badge-1', 'sensor');
    const dashSecret = await h.gateway.registry.add('dash', 'consumer');
    // persistent subscribers that are away while the devices send: whatever is queued for them is stored
    for (const o of [{ clientId: 'lab-offline' }, { clientId: 'dash', username: 'dash', password: dashSecret }]) {
      const c = await connect(h.brokerUrl, { ...o, clean: false });
      await c.subscribeAsync(o.clientId === 'dash' ? 'local/#' : '#', { qos: 2 });
      await c.endAsync();
    }
    // a will carrying an image is refused before it can be stored
    await assert.rejects(
      connect(h.brokerUrl, {
        clientId: 'cam-1',
        username: 'cam-1',
        password: camSecret,
        clean: false,
        will: { topic: deviceTopic('cam-1', 'status'), payload: jpeg!, qos: 1, retain: true },
      }),
    );
    const cam = await connect(h.brokerUrl, {
      clientId: 'cam-1',
      username: 'cam-1',
      password: camSecret,
      clean: false,
      will: { topic: deviceTopic('cam-1', 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    const badge = await connect(h.brokerUrl, {
      clientId: 'badge-1',
      username: 'badge-1',
      password: incidentSecret,
      clean: false,
    });
    const incident = (n: number) =>
      JSON.stringify({
        type: 'incident',
        at: new Date(YESTERDAY + n * 1000).toISOString(),
        category: 'welfare',
        location: { lat: 12.3456789, lon: 98.7654321 },
        officer: `OFFICER-XYZZY-${n}`,
      });
    for (let n = 0; n < 5; n++) {
      await cam.publishAsync(deviceTopic('cam-1', 'frames'), jpeg!, { qos: 2 });
      await badge.publishAsync(deviceTopic('badge-1', 'events'), incident(n), { qos: 2 });
    }
    // positive control: the events were taken (decided and recorded), so their absence below means something
    await waitFor(
      'the incidents decided',
      () => h.gateway.counters.decisions.forward + h.gateway.counters.decisions.withhold >= 5,
    );
    await cam.endAsync(true);
    await badge.endAsync(true);
    await h.gateway.stop(); // the files as the gateway leaves them

    const leaks: string[] = [];
    for (const file of await filesUnder(dataDir)) {
      const bytes = await readFile(file);
      if (bytes.includes(jpegSample)) leaks.push(`${file}: JPEG bytes`);
      for (const s of ['XYZZY', '12.3456789', '98.7654321']) if (bytes.includes(s)) leaks.push(`${file}: ${s}`);
    }
    // and through LevelDB itself, whose tables may be compressed
    const db = new ClassicLevel<string, Buffer>(join(dataDir, 'broker'), { valueEncoding: 'buffer' });
    for await (const [key, value] of db.iterator()) {
      if (value.includes(jpegSample)) leaks.push(`broker store ${key}: JPEG bytes`);
      for (const s of ['XYZZY', '12.3456789']) if (value.includes(s)) leaks.push(`broker store ${key}: ${s}`);
    }
    await db.close();
    assert.deepEqual(leaks, []);
  },
);
