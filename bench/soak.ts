// `npm run bench:soak -- --minutes N [--cameras C] [--sensors S]`: the gateway under steady load for
// N minutes, real models and photos, with a misbehaving device mixed in. Prints throughput, drops by
// reason, and resident memory at the start (after a warm-up) and the end: memory must be flat.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SENSOR_EVENT_TYPES } from '../devices/index.ts';
import { configFromObject } from '../gateway/foundation/config/index.ts';
import { startEmbeddedUpstream } from '../gateway/operations/embedded-upstream.ts';
import { Gateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/foundation/log.ts';
import { loadJpegFrames, misbehave, MISDEEDS, startCameraSim, startSensorSim } from '../simulators/index.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    cameras: { type: 'string', default: '3' },
    sensors: { type: 'string', default: '6' },
  },
});
const minutes = Number(values.minutes);
const cameras = Number(values.cameras);
const sensors = Number(values.sensors);
if (!(minutes > 0) || !(cameras >= 0) || !(sensors >= 0)) {
  console.error('usage: npm run bench:soak -- --minutes N [--cameras C] [--sensors S]');
  process.exit(2);
}
const MiB = 2 ** 20;
const REPO = new URL('../', import.meta.url).pathname;

const dir = await mkdtemp(join(tmpdir(), 'veilgate-soak-'));
let upstreamRecords = 0;
const upstream = await startEmbeddedUpstream('veilgate', () => upstreamRecords++);
const cfg = configFromObject(
  {
    gatewayId: 'soak',
    dataDir: join(dir, 'data'),
    policy: join(REPO, 'policies/default.yaml'),
    broker: { port: 0 },
    upstream: { url: upstream.url },
    http: { port: 0 },
  },
  dir,
);
const gw = await Gateway.start(cfg, createLogger('silent'));
const url = `mqtt://127.0.0.1:${gw.address.port}`;
const frames = await loadJpegFrames(join(REPO, 'fixtures/photos'));
const stops: Array<() => Promise<void>> = [];
for (let i = 0; i < cameras; i++) {
  const id = `cam-${i}`;
  stops.push(
    (await startCameraSim({ url, deviceId: id, secret: await gw.registry.add(id, 'camera'), frames, fps: 2 })).stop,
  );
}
for (let i = 0; i < sensors; i++) {
  const id = `sensor-${i}`;
  const type = SENSOR_EVENT_TYPES[i % SENSOR_EVENT_TYPES.length]!;
  stops.push(
    (await startSensorSim({ url, deviceId: id, secret: await gw.registry.add(id, 'sensor'), type, every: 0.5 })).stop,
  );
}

// the misbehaving device: one bad thing a second, in turn
const badSecret = await gw.registry.add('bad-1', 'sensor');
// oversized: 64 KiB, beyond a sensor's packet limit (the broker cuts it off before any ACL)
const misdeeds = MISDEEDS.map(
  (what) => () =>
    misbehave({ url, deviceId: 'bad-1', secret: badSecret, victimId: 'sensor-0', oversizedBytes: 64 * 1024 }, what),
);
let m = 0;
let misbehaving = true;
const bad = (async () => {
  while (misbehaving) {
    await misdeeds[m++ % misdeeds.length]!().catch(() => {});
    await new Promise((r) => setTimeout(r, 1000));
  }
})();

const rss = () => process.memoryUsage().rss / MiB;
const warmup = Math.min(30_000, minutes * 60_000 * 0.2);
console.log(
  `soak: ${cameras} cameras at 2 fps, ${sensors} sensors at 2 events/s, one misbehaving device, ${minutes} min (the first ${Math.round(warmup / 1000)} s are warm-up)`,
);
await new Promise((r) => setTimeout(r, warmup));
const start = { rss: rss(), frames: gw.ingest.stats.processed, upstream: upstreamRecords, at: Date.now() };
const samples: number[] = [start.rss];
const sampler = setInterval(() => samples.push(rss()), 10_000);
await new Promise((r) => setTimeout(r, minutes * 60_000 - warmup));
clearInterval(sampler);
const end = { rss: rss(), frames: gw.ingest.stats.processed, upstream: upstreamRecords, at: Date.now() };
misbehaving = false;
await bad;
for (const stop of stops) await stop();
const s = (end.at - start.at) / 1000;
console.log(
  `frames redacted   ${((end.frames - start.frames) / s).toFixed(1)}/s (${gw.ingest.stats.processed} in all)`,
);
console.log(
  `records upstream  ${((end.upstream - start.upstream) / s).toFixed(1)}/s (${upstreamRecords} in all), decisions ${JSON.stringify(gw.counters.decisions)}`,
);
console.log(`frames withheld   ${JSON.stringify(gw.ingest.stats.dropped)}`);
console.log(`input refused     ${JSON.stringify(gw.counters.refused)}`);
console.log(`outbox            depth ${gw.outbox.size}, dropped ${JSON.stringify(gw.outbox.drops)}`);
const growth = end.rss - start.rss;
const flat = growth < Math.max(32, start.rss * 0.1);
console.log(
  `rss               ${start.rss.toFixed(0)} MiB after warm-up -> ${end.rss.toFixed(0)} MiB at the end (${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MiB; samples ${samples.map((x) => x.toFixed(0)).join(' ')}): ${flat ? 'flat' : 'GROWING'}`,
);
await gw.stop();
await upstream.stop();
await rm(dir, { recursive: true, force: true });
process.exitCode = flat ? 0 : 1;
