import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';
import { connectPacket, publishHeader, rawClient, remainingLength } from '../../test/raw-mqtt.ts';

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

/** A full garbage collection, so the heap counts only what is still held. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test(
  'thousands of random, truncated and oversized packets: the broker keeps serving a well-behaved device and its memory stays bounded',
  { timeout: 120_000 },
  async (t) => {
    const seed = Number(process.env.VEILGATE_FUZZ_SEED ?? Date.now() % 1_000_000);
    t.diagnostic(`seed ${seed} (VEILGATE_FUZZ_SEED=${seed} replays it)`);
    const rand = prng(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

    const h = await startHarness({ allowAnonymous: true, broker: { limits: { connectTimeoutMs: 1000 } } });
    t.after(() => h.stop());
    const port = Number(new URL(h.brokerUrl).port);
    const secret = await h.gateway.registry.add('door-1', 'sensor');
    const good = await mqtt.connectAsync(h.brokerUrl, {
      clientId: 'door-1',
      username: 'door-1',
      password: secret,
      reconnectPeriod: 0,
    });
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
      () => {
        const p = connectPacket(`fz${int(1e6)}`);
        return p.subarray(0, int(p.length));
      }, // truncated CONNECT
      () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // a fifth length byte
      () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), // a 256 MiB PUBLISH announced before CONNECT
      () =>
        Buffer.concat([connectPacket(`fz${int(1e6)}`), publishHeader(`lab/${'x/'.repeat(int(60))}t`, 10), bytes(10)]),
      () =>
        Buffer.concat([
          connectPacket(`fz${int(1e6)}`),
          Buffer.from([0x82]),
          remainingLength(int(70_000)),
          bytes(int(100)),
        ]), // SUBSCRIBE, huge or garbled
      () => Buffer.concat([connectPacket(`fz${int(1e6)}`, 'door-1', 'wrong')]), // guessing
      () => Buffer.concat([connectPacket(`fz${int(1e6)}`), bytes(int(500))]), // anonymous, then noise
    ];
    const rounds = Number(process.env.FUZZ_ROUNDS ?? 100);
    const perRound = 20;
    const phase = async () => {
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          Array.from({ length: perRound }, async () => {
            const c = await rawClient(port);
            c.socket.write(attacks[int(attacks.length)]!());
            // half hang up at once, the rest leave the connection open (slow senders) until the timeout or a limit
            // cuts them
            if (rand() < 0.5) c.socket.destroy();
            else setTimeout(() => c.socket.destroy(), 200 + int(1500));
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 2000));
      collectGarbage();
      return process.memoryUsage();
    };
    // bounded, not "small": the heap and allocator arenas grow to a working size in the first phase;
    // the same load again must not grow them much further. What JavaScript holds is measured after
    // a full collection and must stay put (0.1-0.5 MiB of growth over three runs; a leak of 2 kB per
    // connection would be 4); the process's resident memory (arenas, socket buffers,
    // 28-49 MiB of second-phase growth over four runs before this check was split) gets a looser bound
    collectGarbage();
    const m0 = process.memoryUsage();
    const m1 = await phase();
    const m2 = await phase();
    running = false;
    await goodLoop;
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    // objects and the Buffers they hold
    const held = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers;
    t.diagnostic(
      `${2 * rounds * perRound} hostile connections; ${acks} events from the good device acknowledged meanwhile; rss ${mib(m0.rss)} -> ${mib(m1.rss)} -> ${mib(m2.rss)} MiB, held by JavaScript after collection ${mib(held(m0))} -> ${mib(held(m1))} -> ${mib(held(m2))} MiB; cut by limits: ${JSON.stringify(h.gateway.counters.refused)}`,
    );
    assert.ok(acks > 100, `the good device kept being served (${acks} acks)`);
    assert.ok(
      held(m2) - held(m1) < 4 * 2 ** 20,
      `the second phase grew what JavaScript holds by ${mib(held(m2) - held(m1))} MiB`,
    );
    assert.ok(m2.rss - m1.rss < 96 * 2 ** 20, `the second phase grew resident memory by ${mib(m2.rss - m1.rss)} MiB`);
    // still answering new clients (the guessing attacks may have put 127.0.0.1 on back-off: a refusal is an answer)
    const fresh = await rawClient(port);
    fresh.socket.write(connectPacket('after'));
    await waitFor('a CONNACK', () => fresh.received()[0] === 0x20);
    fresh.socket.destroy();
  },
);
