import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildBundle, GATEWAY_ENTRIES } from '../gateway/operations/bundle/index.ts';
import { REPO } from '../gateway/foundation/repo.ts';
import {
  MOSQUITTO_MISSING,
  startAedesUpstream,
  startMosquitto,
  type UpstreamBroker,
} from '../gateway/test/upstream-brokers.ts';
import { startCameraSim } from '../simulators/index.ts';
import { ask, frames } from './storage.ts';
import { unitLaunch } from './as-installed.ts';

const RECORDS = Number(process.env.BENCH_BACKLOG_RECORDS ?? 2_000_000);
const DEVICES = 24; // 4 cameras and 20 sensors, as at the reference site
const CAMERA_SECONDS = Number(process.env.BENCH_BACKLOG_CAMERA_SECONDS ?? 60);
const BUNDLE = '.bench-dist';
const MiB = 2 ** 20;
/** node's flags and environment as docs/deploy/veilgate.service runs the gateway */
const UNIT = unitLaunch();

interface Mark {
  at: number;
  rssMiB: number;
  processed: number;
  outbox: number;
  uplink: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fills an outbox in a process of its own, then kills it with SIGKILL once every put is on disk. */
async function fill(outboxDir: string, records: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'bench/backlog-fill.ts'), outboxDir, String(records), String(DEVICES)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    if ((JSON.parse(line) as { done?: number }).done !== undefined) break;
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return (performance.now() - t0) / 1000;
}

interface Run {
  backlog: number;
  readySeconds: number;
  rssReady: number;
  rssCameras: number;
  rssDraining: number;
  drainPerSecond: number;
  processedPerSecond: number;
}

/**
 * The real gateway, bundled as installed, restarted on a data folder whose outbox holds `backlog`
 * records: how long until it serves, its resident memory with four cameras at 5 fps while the
 * uplink is still down, and then how fast it drains once the agency's broker is back.
 */
async function run(backlog: number, clip: Buffer[]): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-backlog-'));
  try {
    if (backlog > 0) {
      const took = await fill(join(dir, 'data', 'outbox'), backlog);
      console.log(`  filled ${backlog.toLocaleString('en')} records in ${took.toFixed(0)} s, then kill -9`);
    }
    // the agency's broker, away for now: its port is reserved
    const upstream: UpstreamBroker = MOSQUITTO_MISSING ? await startAedesUpstream(() => {}) : await startMosquitto();
    await upstream.stop();
    const overrides = {
      outbox: { maxBytes: 4 * 2 ** 30 },
      upstream: { url: upstream.url, reconnectMinMs: 200, reconnectMaxMs: 1000 },
    };
    const t0 = performance.now();
    let stopping = false;
    const flags = process.env.BENCH_GATEWAY_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? UNIT.flags;
    const child: ChildProcess = spawn(
      process.execPath,
      [...flags, join(REPO, BUNDLE, 'storage-gateway.js'), upstream.url, dir, '4', '0', JSON.stringify(overrides)],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        // BENCH_GATEWAY_ENV (JSON) over the unit's environment, to compare one setting side by side
        env: { ...process.env, ...UNIT.env, ...(JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}') as object) },
      },
    );
    child.once('exit', (code) => {
      if (stopping) return;
      console.error(`the gateway exited with ${code} before the bench was done`);
      process.exit(1);
    });
    const ready = await new Promise<{ url: string; creds: Array<{ deviceId: string; secret: string }> }>((r) =>
      child.once('message', (m) => r(m as never)),
    );
    const readySeconds = (performance.now() - t0) / 1000;
    const atReady = await ask<Mark>(child, 'mark');
    const sims = await Promise.all(
      ready.creds.map((c) =>
        startCameraSim({ url: ready.url, deviceId: c.deviceId, secret: c.secret, frames: clip, fps: 5 }),
      ),
    );
    let rssCameras = atReady.rssMiB;
    let m = atReady;
    for (let t = 0; t < CAMERA_SECONDS; t += 5) {
      await sleep(5000);
      m = await ask<Mark>(child, 'mark');
      rssCameras = Math.max(rssCameras, m.rssMiB);
      if (process.env.BENCH_BACKLOG_TRACE) console.log(JSON.stringify(m));
    }
    const processedPerSecond = (m.processed - atReady.processed) / ((m.at - atReady.at) / 1000);
    await upstream.start();
    let rssDraining = m.rssMiB;
    let from: Mark | null = null;
    let last = m;
    const limit = Date.now() + 15 * 60_000;
    while (Date.now() < limit) {
      await sleep(1000);
      last = await ask<Mark>(child, 'mark');
      rssDraining = Math.max(rssDraining, last.rssMiB);
      if (process.env.BENCH_BACKLOG_TRACE) console.log(JSON.stringify(last));
      if (!from && last.uplink) from = last;
      if (from && last.outbox < 1000) break;
    }
    const drainPerSecond = from && last !== from ? (from.outbox - last.outbox) / ((last.at - from.at) / 1000) : NaN;
    await Promise.all(sims.map((s) => s.stop()));
    stopping = true;
    await ask(child, 'stop');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    await upstream.dispose();
    return {
      backlog,
      readySeconds,
      rssReady: atReady.rssMiB,
      rssCameras,
      rssDraining,
      drainPerSecond,
      processedPerSecond,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench backlog`: a gateway restarted after kill -9 with an empty outbox and with
 * BENCH_BACKLOG_RECORDS (2,000,000) pending, side by side. Targets (issue 21): ready within 15 s,
 * under 300 MB resident with four cameras at 5 fps, draining at 5,000 records/s or more.
 */
export async function benchBacklog(): Promise<void> {
  const { frames: clip, source } = await frames();
  console.log(
    `\n## backlog: the bundled gateway restarted on 0 and ${RECORDS.toLocaleString('en')} pending records, 4 cameras at 5 fps for ${CAMERA_SECONDS} s (${source}), then the uplink back (${MOSQUITTO_MISSING ? 'aedes' : 'mosquitto'})`,
  );
  await buildBundle(REPO, BUNDLE, { 'storage-gateway': 'bench/storage-gateway.ts', entry: GATEWAY_ENTRIES.entry! });
  try {
    const rows: Run[] = [];
    for (const n of [0, RECORDS]) rows.push(await run(n, clip));
    const [empty, full] = rows as [Run, Run];
    console.table(
      rows.map((r) => ({
        'pending records': r.backlog.toLocaleString('en'),
        'ready s': r.readySeconds.toFixed(1),
        'RSS at ready MiB': r.rssReady.toFixed(0),
        'RSS with cameras MiB': r.rssCameras.toFixed(0),
        'RSS draining MiB': r.rssDraining.toFixed(0),
        'frames/s': r.processedPerSecond.toFixed(1),
        'drained records/s': r.backlog ? r.drainPerSecond.toFixed(0) : '-',
      })),
    );
    const mb = (mib: number) => (mib * MiB) / 1e6;
    console.log(
      `backlog vs empty: ready ${(full.readySeconds / empty.readySeconds).toFixed(2)}x, peak RSS ${(Math.max(full.rssCameras, full.rssDraining) / Math.max(empty.rssCameras, empty.rssDraining)).toFixed(2)}x`,
    );
    const met =
      full.readySeconds <= 15 && mb(Math.max(full.rssCameras, full.rssDraining)) < 300 && full.drainPerSecond >= 5000;
    console.log(`targets (ready ≤ 15 s, RSS < 300 MB, drain ≥ 5,000/s): ${met ? 'met' : 'NOT met'}`);
  } finally {
    await rm(join(REPO, BUNDLE), { recursive: true, force: true });
  }
}
