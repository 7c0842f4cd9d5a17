// The storage and backlog benches' gateway, alone in its process so that /proc/self/io counts only
// its writes (frame workers included: they are threads of this process). Logs at info go to stderr,
// which the bench counts; the bench talks to it over IPC: `mark` answers with the counters, `stop`
// stops it. A fifth argument, JSON, is merged into the config.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configFromObject } from '../gateway/foundation/config/index.ts';
import { Gateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/foundation/log.ts';
import { REPO } from '../gateway/foundation/repo.ts';

const [upstreamUrl, dir, cameras, sensors, overrides = '{}'] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?,
];

/** Resident memory by kind (/proc/self/status): anonymous (heaps, malloc) and file-backed (code, mapped libraries). */
async function resident(): Promise<{ rssAnonMiB: number; rssFileMiB: number }> {
  const text = await readFile('/proc/self/status', 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssAnonMiB: kib('RssAnon') / 1024, rssFileMiB: kib('RssFile') / 1024 };
}

async function io(): Promise<{ writeBytes: number; syscw: number }> {
  const text = await readFile('/proc/self/io', 'utf8');
  const field = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { writeBytes: field('write_bytes'), syscw: field('syscw') };
}

const cfg = configFromObject(
  {
    gatewayId: 'bench',
    dataDir: join(dir, 'data'),
    policy: join(REPO, 'policies/default.yaml'),
    broker: { port: 0 },
    upstream: { url: upstreamUrl },
    http: { enabled: false },
    ...(JSON.parse(overrides) as object),
  },
  dir,
);
const gw = await Gateway.start(cfg, createLogger('info'));
const devices = [];
for (let i = 0; i < Number(cameras); i++) devices.push({ deviceId: `cam-${i}`, kind: 'camera' as const });
for (let i = 0; i < Number(sensors); i++) devices.push({ deviceId: `sensor-${i}`, kind: 'sensor' as const });
const creds = [];
for (const d of devices) creds.push({ ...d, secret: await gw.registry.add(d.deviceId, d.kind) });
process.send!({ url: `mqtt://127.0.0.1:${gw.address.port}`, creds });

process.on('message', (m: string) => {
  void (async () => {
    if (m === 'stop') {
      await gw.stop();
      process.send!({ stopped: true }, () => process.exit(0));
      return;
    }
    process.send!({
      at: Date.now(),
      ...(await io()),
      syncs: gw.outbox.syncs + gw.audit.syncs,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      ...(await resident()),
      heapMiB: process.memoryUsage().heapTotal / 2 ** 20,
      buffersMiB: process.memoryUsage().arrayBuffers / 2 ** 20,
      processed: gw.ingest.stats.processed,
      decisions: gw.counters.decisions,
      outbox: gw.outbox.size,
      uplink: gw.uplink.connected,
      auditSeq: gw.audit.chainHead.seq,
    });
  })();
});
