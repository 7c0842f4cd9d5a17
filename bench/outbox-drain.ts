import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGatewayMessageTopic } from '../devices/index.ts';
import { configFromObject } from '../gateway/foundation/config/index.ts';
import { createLogger } from '../gateway/foundation/log.ts';
import { DurableOutbox } from '../gateway/4-records/outbox/index.ts';
import { MqttUplink } from '../gateway/5-uplink/index.ts';
import {
  agencySubscriber,
  MOSQUITTO_MISSING,
  startAedesUpstream,
  startMosquitto,
  type UpstreamBroker,
} from '../gateway/test/upstream-brokers.ts';
import { percentile } from './percentile.ts';

const TARGET = 5_000;
const BACKLOG = 50_000;
const DEVICES = 20;
const LIVE_EVERY_MS = 5; // 200 live records per second from one more device

/**
 * An outbox holding an outage's worth of records drains to a local broker while live records keep
 * arriving: records per second drained, and how long live records waited meanwhile.
 */
async function drainOnce(
  kind: 'mosquitto' | 'aedes',
): Promise<{ rate: number; liveP50: number; liveP99: number; live: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-drain-'));
  const arrived = new Map<string, number>();
  const onMessage = (topic: string, payload: Buffer) => {
    if (isGatewayMessageTopic(topic)) return;
    const id = (JSON.parse(payload.toString()) as { id: string }).id;
    if (!arrived.has(id)) arrived.set(id, performance.now());
  };
  let upstream: UpstreamBroker;
  let sub: { endAsync(force?: boolean): Promise<unknown> } | null = null;
  if (kind === 'mosquitto') {
    upstream = await startMosquitto();
    sub = await agencySubscriber(upstream.url, 'bench/#', onMessage);
  } else {
    upstream = await startAedesUpstream(onMessage);
  }
  const outbox = await DurableOutbox.open(join(dir, 'outbox'));
  const payload = (id: string, device: string) =>
    JSON.stringify({
      id,
      deviceId: device,
      recordType: 'counts',
      policy: { id: 'p', version: 1, sha256: 'x'.repeat(64) },
      fields: { windowStart: new Date().toISOString(), person: 3, vehicle: 1 },
    });
  for (let start = 0; start < BACKLOG; start += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, j) => {
        const i = start + j;
        const device = `cam-${i % DEVICES}`;
        return outbox.put({
          id: `b${i}`,
          topic: `bench/gw/${device}/counts`,
          payload: payload(`b${i}`, device),
          key: device,
          at: Date.now(),
        });
      }),
    );
  }
  const cfg = configFromObject(
    { gatewayId: 'bench', upstream: { url: upstream.url, topicPrefix: 'bench' }, http: { enabled: false } },
    dir,
  );
  const uplink = new MqttUplink(cfg, outbox, createLogger('silent'));
  const sentAt = new Map<string, number>();
  let n = 0;
  const live = setInterval(() => {
    const id = `l${n++}`;
    sentAt.set(id, performance.now());
    void outbox.put({
      id,
      topic: 'bench/gw/live-1/door',
      payload: payload(id, 'live-1'),
      key: 'live-1',
      at: Date.now(),
    });
  }, LIVE_EVERY_MS);
  const t0 = performance.now();
  await uplink.start();
  let drainedAt = 0;
  while (!drainedAt) {
    await new Promise((r) => setTimeout(r, 20));
    let backlogDone = true;
    for (let i = BACKLOG - DEVICES; i < BACKLOG; i++) if (!arrived.has(`b${i}`)) backlogDone = false;
    if (backlogDone && [...Array(BACKLOG).keys()].every((i) => arrived.has(`b${i}`))) drainedAt = performance.now();
    if (performance.now() - t0 > 120_000)
      throw new Error(`${kind}: the backlog did not drain in 120 s (${arrived.size} arrived)`);
  }
  clearInterval(live);
  await new Promise((r) => setTimeout(r, 300));
  const waits = [...sentAt]
    .filter(([id, at]) => arrived.has(id) && at < drainedAt)
    .map(([id, at]) => arrived.get(id)! - at)
    .sort((a, b) => a - b);
  await uplink.stop();
  await outbox.close();
  await sub?.endAsync(true);
  await upstream.dispose();
  await rm(dir, { recursive: true, force: true });
  return {
    rate: BACKLOG / ((drainedAt - t0) / 1000),
    liveP50: percentile(waits, 50),
    liveP99: percentile(waits, 99),
    live: waits.length,
  };
}

export async function benchOutboxDrain(): Promise<void> {
  console.log(
    `\n## outbox drain after an outage: ${BACKLOG.toLocaleString('en')} records from ${DEVICES} cameras, while one more device sends live records every ${LIVE_EVERY_MS} ms`,
  );
  console.log('upstream     drained/s   x target (5k/s)   live records during the drain: count, wait p50, p99');
  for (const kind of ['mosquitto', 'aedes'] as const) {
    if (kind === 'mosquitto' && MOSQUITTO_MISSING) {
      console.log(`mosquitto    skipped: ${MOSQUITTO_MISSING}`);
      continue;
    }
    const r = await drainOnce(kind);
    console.log(
      `${kind.padEnd(10)} ${Math.round(r.rate).toLocaleString('en').padStart(11)}   ${(r.rate / TARGET).toFixed(1).padStart(6)}x          ${String(r.live).padStart(5)}, ${r.liveP50.toFixed(0)} ms, ${r.liveP99.toFixed(0)} ms`,
    );
  }
}
