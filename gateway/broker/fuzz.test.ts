import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../../devices/index.ts';
import { sampleEvent } from '../../simulators/index.ts';
import { startHarness, waitFor } from '../test/harness.ts';
import { connectPacket, publishHeader, rawClient, remainingLength } from '../test/raw-mqtt.ts';

/** A small seeded PRNG (mulberry32), so a failure can be replayed with the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('thousands of random, truncated and oversized packets: the broker keeps serving a well-behaved device and its memory stays bounded', { timeout: 120_000 }, async (t) => {
  const seed = Number(process.env.VEILGATE_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (VEILGATE_FUZZ_SEED=${seed} replays it)`);
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  const h = await startHarness({ allowAnonymous: true, broker: { limits: { connectTimeoutMs: 1000 } } });
  t.after(() => h.stop());
  const port = Number(new URL(h.brokerUrl).port);
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const good = await mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', username: 'door-1', password: secret, reconnectPeriod: 0 });
  t.after(() => good.endAsync(true));
  let acks = 0;
  let running = true;
  const goodLoop = (async () => {
    for (let n = 0; running; n++) {
      await good.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
      acks++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const attacks: Array<() => Buffer> = [
    () => bytes(1 + int(200)), // noise
    () => { const p = connectPacket(`fz${int(1e6)}`); return p.subarray(0, int(p.length)); }, // truncated CONNECT
    () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // a fifth length byte
    () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), // a 256 MiB PUBLISH announced before CONNECT
    () => Buffer.concat([connectPacket(`fz${int(1e6)}`), publishHeader(`lab/${'x/'.repeat(int(60))}t`, 10), bytes(10)]),
    () => Buffer.concat([connectPacket(`fz${int(1e6)}`), Buffer.from([0x82]), remainingLength(int(70_000)), bytes(int(100))]), // SUBSCRIBE, huge or garbled
    () => Buffer.concat([connectPacket(`fz${int(1e6)}`, 'door-1', 'wrong')]), // guessing
    () => Buffer.concat([connectPacket(`fz${int(1e6)}`), bytes(int(500))]), // anonymous, then noise
  ];
  const rounds = Number(process.env.FUZZ_ROUNDS ?? 100);
  const perRound = 20;
  const phase = async () => {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(Array.from({ length: perRound }, async () => {
        const c = await rawClient(port);
        c.socket.write(attacks[int(attacks.length)]!());
        // half hang up at once, the rest leave the connection open (slow senders) until the timeout or a limit cuts them
        if (rand() < 0.5) c.socket.destroy();
        else setTimeout(() => c.socket.destroy(), 200 + int(1500));
      }));
    }
    await new Promise((r) => setTimeout(r, 2000));
    return process.memoryUsage().rss;
  };
  // bounded, not "small": the heap and allocator arenas grow to a working size in the first phase;
  // the same load again must not grow them much further
  const rss0 = process.memoryUsage().rss;
  const rss1 = await phase();
  const rss2 = await phase();
  running = false;
  await goodLoop;
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  t.diagnostic(`${2 * rounds * perRound} hostile connections; ${acks} events from the good device acknowledged meanwhile; rss ${mib(rss0)} -> ${mib(rss1)} -> ${mib(rss2)} MiB; cut by limits: ${JSON.stringify(h.gateway.counters.refused)}`);
  assert.ok(acks > 100, `the good device kept being served (${acks} acks)`);
  assert.ok(rss2 - rss1 < 48 * 2 ** 20, `the second phase grew memory by ${mib(rss2 - rss1)} MiB`);
  // still answering new clients (the guessing attacks may have put 127.0.0.1 on back-off: a refusal is an answer)
  const fresh = await rawClient(port);
  fresh.socket.write(connectPacket('after'));
  await waitFor('a CONNACK', () => fresh.received()[0] === 0x20);
  fresh.socket.destroy();
});
