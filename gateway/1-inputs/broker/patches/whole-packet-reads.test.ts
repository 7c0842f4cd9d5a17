import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { deviceTopic } from '../../../../devices/index.ts';
import { InlineRunner } from '../../../2-pipeline/index.ts';
import { startHarness, waitFor } from '../../../test/harness.ts';
import { connectPacket, publishHeader, rawClient } from '../../../test/raw-mqtt.ts';
import { socketPair } from '../../../test/socket-pair.ts';
import { MqttGuard } from '../limits/guard.ts';
import { guardStream } from '../limits/guarded-connection.ts';
import { READ_BYTES } from './whole-packet-reads.ts';

const LIMITS = { publishBytes: 64 * 1024, controlBytes: 64 * 1024, maxTopicBytes: 256, maxTopicLevels: 8 };
const publish = (topic: string, bytes: number) =>
  Buffer.concat([publishHeader(topic, bytes), Buffer.alloc(bytes, 0x61)]);

/** Packets in a chunk, and the bytes after the last whole one. */
function packetsIn(chunk: Buffer): { packets: number; leftover: number } {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let packets = 0;
  parser.on('packet', () => packets++);
  const leftover = parser.parse(chunk);
  return { packets, leftover };
}

test('a read without a size gives whole packets up to the limit; with a larger packet first or only a partial one, everything', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.close());
  const { client } = pair;
  const server = guardStream(pair.server, new MqttGuard(LIMITS), (v) => assert.fail(v.code));

  const small = Array.from({ length: 100 }, (_, i) => publish(`s/${i}`, 100));
  const large = publish('big', 10_000);
  const partial = publish('tail', 100).subarray(0, 50);
  const sent = Buffer.concat([...small, large, ...small.slice(0, 10), partial]);
  client.write(sent);

  const reads: Buffer[] = [];
  while (Buffer.concat(reads).length < sent.length) {
    const chunk = server.read() as Buffer | null;
    if (chunk) reads.push(chunk);
    else await new Promise((r) => server.once('readable', r));
  }
  assert.ok(Buffer.concat(reads).equals(sent), 'every byte, in order');
  const withLarge = reads.findIndex((r) => r.subarray(0, large.length).equals(large));
  assert.ok(
    withLarge >= 3,
    `the 10.7 kB of small packets before the large one take at least three reads (${withLarge})`,
  );
  for (const [n, r] of reads.slice(0, withLarge).entries()) {
    const { packets, leftover } = packetsIn(r);
    assert.equal(leftover, 0, `read ${n} ends at a packet's end`);
    assert.ok(r.length <= READ_BYTES, `read ${n}: ${r.length} bytes in ${packets} packets`);
  }
  // from the large packet on, each read takes all that has arrived: whole packets, then the tail
  for (const r of reads.slice(withLarge + 1)) assert.ok(r.length <= READ_BYTES || packetsIn(r).packets === 0);
});

test('a packet that arrives a few bytes at a time among whole ones is delivered, and every packet after it, in order', async (t) => {
  const h = await startHarness({ allowAnonymous: true, frames: new InlineRunner(null) });
  t.after(() => h.stop());
  const sub = await mqtt.connectAsync(h.brokerUrl, { clientId: 'lab-sub', reconnectPeriod: 0 });
  t.after(() => sub.endAsync(true));
  const got: string[] = [];
  sub.on('message', (topic, payload) => got.push(`${topic} ${payload.length}`));
  await sub.subscribeAsync('lab/#');
  const raw = await rawClient(Number(new URL(h.brokerUrl).port));
  t.after(() => raw.socket.destroy());
  raw.socket.write(connectPacket('lab-pub'));
  await waitFor('CONNACK', () => raw.received().length >= 4);

  const before = Array.from({ length: 20 }, (_, i) => publish(`lab/a/${i}`, 10));
  const after = Array.from({ length: 20 }, (_, i) => publish(`lab/c/${i}`, 10));
  const slow = publish('lab/b', 10_000);
  raw.socket.write(Buffer.concat(before));
  for (let at = 0; at < slow.length; at += 1500) {
    raw.socket.write(slow.subarray(at, at + 1500));
    await new Promise((r) => setTimeout(r, 10));
  }
  raw.socket.write(Buffer.concat(after));
  const expected = [...before.map((_, i) => `lab/a/${i} 10`), 'lab/b 10000', ...after.map((_, i) => `lab/c/${i} 10`)];
  await waitFor('every message', () => got.length === expected.length);
  assert.deepEqual(got, expected);
});

test('a packet handled at once does not make aedes parse the next one twice: two frames in one write both arrive intact', async (t) => {
  // the junk frame is refused synchronously, inside aedes's parser; the JPEG after it in the same
  // segment was then parsed again there, as the first packet with its payload blanked
  const h = await startHarness({ frames: new InlineRunner(null) });
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('cam-1', 'camera');
  const raw = await rawClient(Number(new URL(h.brokerUrl).port));
  t.after(() => raw.socket.destroy());
  raw.socket.write(connectPacket('cam-1', 'cam-1', secret));
  await waitFor('CONNACK', () => raw.received().length >= 4);
  const topic = deviceTopic('cam-1', 'frames');
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(6000, 1)]);
  const junk = Buffer.from('not a picture at all');
  raw.socket.write(Buffer.concat([publishHeader(topic, junk.length), junk, publishHeader(topic, jpeg.length), jpeg]));
  const stats = h.gateway.ingest.stats;
  const handled = () => stats.processed + Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  await waitFor('both frames handled', () => handled() >= 2);
  assert.equal(stats.dropped.FRAME_NOT_JPEG, 1, JSON.stringify(stats));
  assert.equal(handled(), 2, JSON.stringify(stats));
});
