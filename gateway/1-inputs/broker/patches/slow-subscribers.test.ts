import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../../devices/index.ts';
import { sampleEvent } from '../../../../simulators/index.ts';
import { startHarness, waitFor, YESTERDAY } from '../../../test/harness.ts';
import { InlineRunner } from '../../../2-pipeline/runner.ts';
import { connectPacket, remainingLength } from '../../../test/raw-mqtt.ts';

const PYTHON_MISSING = (() => {
  try {
    execFileSync('python3', ['-c', 'import socket'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs python3 (Debian package python3) for a subscriber with a small receive buffer, which Node cannot set';
  }
})();

/**
 * A local consumer that subscribes to local/# and then never reads again, with a 4 KiB receive
 * buffer and keepalive 0 (as a dashboard on a dead Wi-Fi link looks to the broker). Python, because
 * Node cannot set SO_RCVBUF on a TCP socket.
 */
function frozenConsumer(port: number, id: string, secret: string) {
  const subscribe = Buffer.concat([
    Buffer.from([0x82]),
    remainingLength(2 + 2 + 7 + 1),
    Buffer.from([0, 1, 0, 7]),
    Buffer.from('local/#'),
    Buffer.from([0]),
  ]);
  const hello = Buffer.concat([connectPacket(id, id, secret, 0), subscribe]).toString('hex');
  const script = [
    'import socket, sys, time',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
    `s.connect(("127.0.0.1", ${port}))`,
    `s.sendall(bytes.fromhex("${hello}"))`,
    'print("subscribed", flush=True)',
    'time.sleep(120)',
  ].join('\n');
  return spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Two sensors sending QoS 1 events, 8 in flight each; counts acknowledgements. */
async function sensors(url: string, secrets: string[]) {
  let acked = 0;
  let running = true;
  const clients = await Promise.all(
    secrets.map((secret, i) =>
      mqtt.connectAsync(url, { clientId: `door-${i}`, username: `door-${i}`, password: secret, reconnectPeriod: 0 }),
    ),
  );
  let n = 0;
  const loops = clients.flatMap((c, i) =>
    Array.from({ length: 8 }, async () => {
      while (running && c.connected) {
        await c.publishAsync(
          deviceTopic(`door-${i}`, 'events'),
          JSON.stringify(sampleEvent('door', n, new Date(YESTERDAY + (n++ % 80_000_000)))),
          { qos: 1 },
        );
        acked++;
      }
    }),
  );
  return {
    acked: () => acked,
    async stop() {
      running = false;
      // a publish still waiting for its acknowledgement is dropped with the client
      void Promise.allSettled(loops);
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

async function rate(count: () => number, ms: number): Promise<number> {
  const a = count();
  await new Promise((r) => setTimeout(r, ms));
  return ((count() - a) * 1000) / ms;
}

test(
  'a local consumer that stops reading is cut off, and two sensors keep at least 80% of their acknowledgement rate meanwhile',
  { skip: PYTHON_MISSING, timeout: 90_000 },
  async (t) => {
    const h = await startHarness({
      frames: new InlineRunner(null),
      broker: { limits: { subscriberBacklogSeconds: 5 } },
    });
    t.after(() => h.stop());
    const secrets = [
      await h.gateway.registry.add('door-0', 'sensor'),
      await h.gateway.registry.add('door-1', 'sensor'),
    ];
    const dashSecret = await h.gateway.registry.add('dash', 'consumer');
    // a live consumer too: what it receives shows local records flow the whole time
    const live = await mqtt.connectAsync(h.brokerUrl, {
      clientId: 'live',
      username: 'live',
      password: await h.gateway.registry.add('live', 'consumer'),
      reconnectPeriod: 0,
    });
    t.after(() => live.endAsync(true));
    let liveGot = 0;
    live.on('message', () => liveGot++);
    await live.subscribeAsync('local/#', { qos: 0 });

    const load = await sensors(h.brokerUrl, secrets);
    t.after(() => load.stop());
    await rate(load.acked, 1000); // warm up
    const before = await rate(load.acked, 3000);
    const frozen = frozenConsumer(h.gateway.address.port, 'dash', dashSecret);
    t.after(() => frozen.kill('SIGKILL'));
    await new Promise<void>((r) => frozen.stdout!.once('data', () => r()));
    const during = await rate(load.acked, 6000);
    t.diagnostic(
      `acknowledgements/s: ${before.toFixed(0)} before, ${during.toFixed(0)} while the consumer did not read`,
    );
    assert.ok(before > 100, `the sensors ran (${before}/s)`);
    assert.ok(
      during >= 0.8 * before,
      `intake kept ${((100 * during) / before).toFixed(0)}% of its rate while a subscriber did not read (${during} of ${before}/s)`,
    );
    await waitFor(
      'the frozen consumer cut off',
      () => (h.gateway.counters.refused.SUBSCRIBER_TOO_SLOW ?? 0) >= 1,
      20_000,
    );
    const liveBefore = liveGot;
    const after = await rate(load.acked, 2000);
    t.diagnostic(`${after.toFixed(0)} acknowledgements/s after it was cut off`);
    assert.ok(after >= 0.8 * before, `and after (${after}/s)`);
    assert.ok(liveGot > liveBefore, 'a reading consumer kept receiving');
  },
);
