import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { socketPair } from '../../../test/socket-pair.ts';
import { batchWrites } from './batch-writes.ts';

/** Counts the writes a socket hands to the system (after the Writable's own buffering). */
function countWrites(s: Socket): { count: number } {
  const n = { count: 0 };
  const inner = s as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
  for (const m of ['_write', '_writev'] as const) {
    const f = inner[m].bind(s);
    inner[m] = (...a: unknown[]) => {
      n.count++;
      f(...a);
    };
  }
  return n;
}

function received(client: Socket, packets: number): Promise<mqttPacket.Packet[]> {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const got: mqttPacket.Packet[] = [];
  return new Promise((resolve, reject) => {
    parser.on('packet', (p) => {
      got.push(p);
      if (got.length === packets) resolve(got);
    });
    parser.on('error', reject);
    client.on('data', (d) => parser.parse(d));
  });
}

const publish = (n: number, payload = Buffer.from(`message ${n}`)): mqttPacket.IPublishPacket => ({
  cmd: 'publish',
  topic: `t/${n}`,
  payload,
  qos: 0,
  dup: false,
  retain: false,
});

/** Writes each packet in its own tick of one event loop turn, as aedes delivers messages. */
function writeOneTickEach(s: Duplex, packets: mqttPacket.IPublishPacket[]): void {
  const next = (i: number): void => {
    if (i === packets.length) return;
    mqttPacket.writeToStream(packets[i]!, s);
    process.nextTick(next, i + 1);
  };
  next(0);
}

test('packets written in separate ticks of one turn leave in one write, whole and in order', async (t) => {
  const { server, client, close } = await socketPair();
  t.after(close);
  const writes = countWrites(server);
  batchWrites(server);
  const packets = Array.from({ length: 100 }, (_, n) => publish(n));
  const got = received(client, 100);
  writeOneTickEach(server, packets);
  const arrived = await got;
  assert.deepEqual(
    arrived.map((p) => (p as mqttPacket.IPublishPacket).topic),
    packets.map((p) => p.topic),
  );
  assert.deepEqual(
    arrived.map((p) => String((p as mqttPacket.IPublishPacket).payload)),
    packets.map((p) => String(p.payload)),
  );
  assert.equal(writes.count, 1);
});

test('without batching the same packets take one write each (what batchWrites is for)', async (t) => {
  const { server, client, close } = await socketPair();
  t.after(close);
  const writes = countWrites(server);
  const got = received(client, 100);
  writeOneTickEach(
    server,
    Array.from({ length: 100 }, (_, n) => publish(n)),
  );
  await got;
  assert.ok(writes.count >= 90, `${writes.count} writes`);
});

test('a batch larger than the copy limit is written as it is, and arrives whole', async (t) => {
  const { server, client, close } = await socketPair();
  t.after(close);
  batchWrites(server);
  const packets = Array.from({ length: 20 }, (_, n) => publish(n, Buffer.alloc(10_000, n)));
  const got = received(client, 20);
  writeOneTickEach(server, packets);
  const arrived = (await got) as mqttPacket.IPublishPacket[];
  arrived.forEach((p, n) => assert.ok((p.payload as Buffer).equals(packets[n]!.payload as Buffer), `packet ${n}`));
});

test('end() while the turn is batching still sends everything before the socket finishes', async (t) => {
  const { server, client, close } = await socketPair();
  t.after(close);
  batchWrites(server);
  const got = received(client, 3);
  const ended = new Promise((r) => client.once('end', r));
  for (let n = 0; n < 3; n++) mqttPacket.writeToStream(publish(n), server);
  server.end();
  assert.equal((await got).length, 3);
  await ended;
});

test('over WebSocket the packets of one turn arrive in one frame, not one frame per piece', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const accepted = new Promise<Duplex>((r) => wss.once('connection', (ws) => r(createWebSocketStream(ws))));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  try {
    const server = await accepted;
    batchWrites(server as Parameters<typeof batchWrites>[0]);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const topics: string[] = [];
    let frames = 0;
    const all = new Promise<void>((r) =>
      parser.on('packet', (p) => topics.push((p as mqttPacket.IPublishPacket).topic) === 10 && r()),
    );
    client.on('message', (d: Buffer) => {
      frames++;
      parser.parse(d);
    });
    writeOneTickEach(
      server,
      Array.from({ length: 10 }, (_, n) => publish(n)),
    );
    await all;
    assert.deepEqual(
      topics,
      Array.from({ length: 10 }, (_, n) => `t/${n}`),
    );
    assert.equal(frames, 1);
  } finally {
    client.terminate();
    wss.close();
  }
});
