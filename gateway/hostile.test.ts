// The hostile-input suite (docs/threat-model.md): every way in, fed what an attacker or a broken
// device would send. In every case: a clear error or a counted drop with a reason, well-behaved
// devices keep being served, nothing accepted is lost, and no raw frame or secret reaches any
// output or log. The broker's own fuzzing is in gateway/1-inputs/broker/fuzz.test.ts; HTTP in gateway/operations/http/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { deviceTopic, isGatewayMessageTopic, MAX_EVENT_BYTES } from '../devices/index.ts';
import { connectDevice, sampleEvent } from '../simulators/index.ts';
import { sum, tallyAudit } from './test/audit-tally.ts';
import { PHOTOS, startHarness, waitFor, type Harness } from './test/harness.ts';
import { connectPacket, rawClient, remainingLength } from './test/raw-mqtt.ts';

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/** A good sensor that sends a QoS 1 door event every 50 ms and records when each was acknowledged. */
async function goodSensor(h: Harness) {
  const client = await connectDevice({
    url: h.brokerUrl,
    deviceId: 'good-1',
    secret: await h.gateway.registry.add('good-1', 'sensor'),
  });
  const acks: number[] = [];
  let running = true;
  let stopSignal!: () => void;
  // an event whose ack never comes (the broker went first) must not hold the loop for ever
  const stopped = new Promise<void>((r) => (stopSignal = r));
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const sent = client
        .publishAsync(deviceTopic('good-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 })
        .then(
          () => void acks.push(Date.now()),
          () => {},
        );
      await Promise.race([sent, stopped]);
      await Promise.race([new Promise((r) => setTimeout(r, 50)), stopped]);
    }
  })();
  return {
    acks,
    /** the longest time the good sensor waited between two acknowledgements */
    longestGapMs: () => acks.slice(1).reduce((m, t, i) => Math.max(m, t - acks[i]!), 0),
    async stop() {
      if (!running) return loop;
      running = false;
      stopSignal();
      await loop;
      await client.endAsync(true);
    },
  };
}

/** Nothing raw and nothing secret in any log line or upstream message. */
function assertNothingLeaked(h: Harness, logLines: string[], secrets: string[]): void {
  const logs = logLines.join('');
  for (const s of secrets) assert.ok(!logs.includes(s), 'a device secret reached the log');
  assert.ok(!logs.includes('/9j/'), 'base64 JPEG in the log');
  for (const r of h.upstream) {
    assert.ok(!r.payload.includes(JPEG_MAGIC), `JPEG bytes upstream on ${r.topic}`);
    for (const s of secrets) assert.ok(!r.payload.includes(s), 'a secret went upstream');
  }
}

/** A real JPEG whose header claims 30000 x 30000 pixels: a decompression bomb in a few kilobytes. */
async function decompressionBomb(): Promise<Buffer> {
  const jpeg = Buffer.from(await sharp(join(PHOTOS, 'coffee.png')).resize(64, 64).jpeg({ quality: 50 }).toBuffer());
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0, 'baseline JPEG has an SOF0 marker');
  jpeg.writeUInt16BE(30000, sof + 5); // height
  jpeg.writeUInt16BE(30000, sof + 7); // width
  return jpeg;
}

test('a camera sending junk, truncated JPEGs, a decompression bomb and a flood is refused frame by frame while a good sensor keeps being served', async (t) => {
  const logLines: string[] = [];
  const h = await startHarness({ logLines });
  t.after(() => h.stop());
  const good = await goodSensor(h);
  t.after(() => good.stop()); // runs after h.stop too: it does not wait for acks
  const camSecret = await h.gateway.registry.add('cam-bad', 'camera');
  const cam = await connectDevice({ url: h.brokerUrl, deviceId: 'cam-bad', secret: camSecret });
  const real = await sharp(join(PHOTOS, 'astronaut.png')).jpeg().toBuffer();
  const rss0 = process.memoryUsage().rss;

  const frames = deviceTopic('cam-bad', 'frames');
  await cam.publishAsync(frames, Buffer.from('not a picture at all'));
  await cam.publishAsync(frames, real.subarray(0, Math.floor(real.length / 3)));
  await cam.publishAsync(frames, await decompressionBomb());
  await waitFor('the three bad frames refused', () => {
    const d = h.gateway.ingest.stats.dropped;
    return (d.FRAME_NOT_JPEG ?? 0) >= 1 && (d.FRAME_UNDECODABLE ?? 0) >= 1 && (d.FRAME_TOO_MANY_PIXELS ?? 0) >= 1;
  });
  const notJpeg = logLines.find((l) => l.includes('"FRAME_NOT_JPEG"')) ?? '';
  assert.equal(notJpeg.split('not a JPEG image').length - 1, 1, `the reason said once: ${notJpeg}`);
  // far faster than frames can be processed: the queue stays bounded and drops the oldest
  for (let i = 0; i < 300; i++) cam.publish(frames, real);
  await waitFor(
    'the flood processed or dropped',
    async () => {
      await h.gateway.ingest.idle();
      return h.gateway.ingest.stats.processed + (h.gateway.ingest.stats.dropped.QUEUE_OVERFLOW ?? 0) >= 300;
    },
    60_000,
  );
  const overflow = h.gateway.ingest.stats.dropped.QUEUE_OVERFLOW ?? 0;
  assert.ok(overflow >= 200, `${overflow} frames dropped as QUEUE_OVERFLOW`);
  const rssGrowth = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(rssGrowth < 300, `memory grew ${rssGrowth.toFixed(0)} MiB during a 300-frame flood`);

  await cam.endAsync(true); // forced: a graceful end can wait for ever on a client that was flooding
  await new Promise((r) => setTimeout(r, 1000));
  await good.stop();
  assert.ok(good.acks.length >= 10, `${good.acks.length} good events acknowledged`);
  assert.ok(good.longestGapMs() < 3000, `the good sensor waited ${good.longestGapMs()} ms at most between acks`);
  await waitFor(
    'every acknowledged good event upstream',
    () => h.upstream.filter((r) => r.topic.endsWith('/good-1/door')).length >= good.acks.length,
  );
  // every refused frame is counted and audited with its code
  await h.gateway.recordWindowsNow();
  const tally = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  const codes = new Set(tally.framesWithheld.map((f) => f.code));
  // counted, not one entry each: the window's count is the gateway's count
  for (const f of ['FRAME_NOT_JPEG', 'QUEUE_OVERFLOW'] as const)
    assert.equal(sum(tally.framesWithheld.filter((x) => x.code === f)), h.gateway.ingest.stats.dropped[f], f);
  for (const c of ['FRAME_NOT_JPEG', 'FRAME_UNDECODABLE', 'FRAME_TOO_MANY_PIXELS', 'QUEUE_OVERFLOW'])
    assert.ok(codes.has(c), `${c} audited`);
  assertNothingLeaked(h, logLines, [camSecret]);
});

test('a sensor sending malformed, nested, huge, mistyped, unknown and mis-dated events gets each refused with its own code, and nothing of it leaves', async (t) => {
  const logLines: string[] = [];
  const h = await startHarness({ logLines });
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('sensor-bad', 'sensor');
  const bad = await connectDevice({ url: h.brokerUrl, deviceId: 'sensor-bad', secret });
  const topic = deviceTopic('sensor-bad', 'events');
  const now = Date.now();
  const cases: Array<[string, string | Buffer]> = [
    ['EVENT_NOT_JSON', '{"type":"door","at":'],
    ['EVENT_NOT_JSON', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['EVENT_INVALID', `${'['.repeat(1500)}${']'.repeat(1500)}`],
    [
      'EVENT_TOO_LARGE',
      JSON.stringify({ type: 'door', at: new Date(now).toISOString(), open: true, pad: 'x'.repeat(MAX_EVENT_BYTES) }),
    ],
    ['EVENT_INVALID', JSON.stringify({ type: 'door', at: new Date(now).toISOString(), open: 'yes' })],
    ['EVENT_INVALID', JSON.stringify({ type: 'teleport', at: new Date(now).toISOString() })],
    ['EVENT_INVALID', JSON.stringify({ type: 'door', at: 'yesterday', open: true })],
    [
      'EVENT_INVALID',
      JSON.stringify({
        type: 'door',
        at: new Date(now).toISOString(),
        open: true,
        __proto__: { admin: true },
        extra: 1,
      }),
    ],
    ['EVENT_TIME_FUTURE', JSON.stringify(sampleEvent('door', 0, new Date(now + 86_400_000)))],
    ['EVENT_TIME_STALE', JSON.stringify(sampleEvent('door', 0, new Date(now - 30 * 86_400_000)))],
  ];
  // each is accepted (PUBACK: sending it again would not make it valid) and dropped with its code
  for (const [, payload] of cases) await bad.publishAsync(topic, payload, { qos: 1 });
  const want: Record<string, number> = {};
  for (const [code] of cases) want[code] = (want[code] ?? 0) + 1;
  await waitFor('every bad event counted', () =>
    Object.entries(want).every(([code, n]) => (h.gateway.counters.refused[code] ?? 0) >= n),
  );
  for (const [code, n] of Object.entries(want)) assert.equal(h.gateway.counters.refused[code], n, code);
  // still connected and served: a good event from the same sensor goes through
  await bad.publishAsync(topic, JSON.stringify(sampleEvent('door', 1)), { qos: 1 });
  await waitFor('the good event upstream', () => h.upstream.some((r) => r.topic.endsWith('/sensor-bad/door')));
  assert.equal(h.upstream.filter((r) => !isGatewayMessageTopic(r.topic)).length, 1, 'only the good event left');
  await h.gateway.recordWindowsNow();
  const audited = sum((await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).refused);
  assert.equal(audited, cases.length, 'each refusal is in the audit log');
  await bad.endAsync(true);
  assertNothingLeaked(h, logLines, [secret]);
  assert.ok(!logLines.join('').includes('teleport'), 'payload contents are described, not quoted');
});

test('QoS 2 publishes abandoned midway, a subscription flood and publishing as another device cost the sender its connection, not the gateway', async (t) => {
  const h = await startHarness({ broker: { limits: { maxInflightInbound: 20, maxSubscriptionsPerClient: 50 } } });
  t.after(() => h.stop());
  const port = h.gateway.address.port;
  const good = await goodSensor(h);
  t.after(() => good.stop());

  // QoS 2 PUBLISHes whose PUBREL never comes: beyond maxInflightInbound the connection is closed
  const qos2Secret = await h.gateway.registry.add('half-done', 'sensor');
  const raw = await rawClient(port);
  raw.socket.write(connectPacket('half-done', 'half-done', qos2Secret));
  const topic = Buffer.from(deviceTopic('half-done', 'events'));
  for (let id = 1; id <= 200 && !raw.isClosed(); id++) {
    const payload = Buffer.from(JSON.stringify(sampleEvent('door', id)));
    const vh = Buffer.concat([
      Buffer.from([topic.length >> 8, topic.length & 0xff]),
      topic,
      Buffer.from([id >> 8, id & 0xff]),
    ]);
    raw.socket.write(Buffer.concat([Buffer.from([0x34]), remainingLength(vh.length + payload.length), vh, payload]));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.race([raw.closed, new Promise((r) => setTimeout(r, 5000))]);
  assert.ok(
    raw.isClosed(),
    'a client sitting on more than maxInflightInbound unfinished QoS 2 messages is disconnected',
  );

  // a local consumer subscribing to thousands of filters
  const consumerSecret = await h.gateway.registry.add('dash-1', 'consumer');
  const consumer = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'dash-1',
    username: 'dash-1',
    password: consumerSecret,
    reconnectPeriod: 0,
  });
  const closed = new Promise<void>((r) => consumer.once('close', () => r()));
  consumer.subscribe(
    Array.from({ length: 2000 }, (_, i) => `local/cam-${i}/counts`),
    { qos: 0 },
    () => {},
  );
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
  assert.equal(consumer.connected, false, 'a subscription flood closes that connection');
  await consumer.endAsync(true);

  // a compromised sensor writing into another device's topics
  const evilSecret = await h.gateway.registry.add('evil-1', 'sensor');
  const evil = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'evil-1',
    username: 'evil-1',
    password: evilSecret,
    reconnectPeriod: 0,
  });
  const evilClosed = new Promise<void>((r) => evil.once('close', () => r()));
  evil.publish(deviceTopic('good-1', 'events'), JSON.stringify(sampleEvent('door', 99)), { qos: 1 });
  await Promise.race([evilClosed, new Promise((r) => setTimeout(r, 5000))]);
  assert.equal(evil.connected, false);
  await evil.endAsync(true);

  const before = good.acks.length;
  await waitFor('the good sensor still served', () => good.acks.length >= before + 5);
  assert.ok(good.longestGapMs() < 3000, `the good sensor waited ${good.longestGapMs()} ms at most`);
  await good.stop();
  assert.equal(
    h.upstream.filter((r) => r.payload.includes('"deviceId":"good-1"') && r.payload.includes('evil')).length,
    0,
  );
});
