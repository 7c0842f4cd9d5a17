import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { vtestFrames, vtestMissing } from '../fixtures/vtest.ts';
import { REPO } from '../gateway/foundation/repo.ts';
import { startAedesUpstream, type UpstreamBroker } from '../gateway/test/upstream-brokers.ts';
import { startCameraSim, startSensorSim } from '../simulators/index.ts';
import type { SensorEventType } from '../devices/index.ts';
import { unitLaunch } from './as-installed.ts';

const SECONDS = Number(process.env.BENCH_STORAGE_SECONDS ?? 120);
/** the gateway loads its models and every device's first window closes before measuring */
const WARMUP_SECONDS = 25;
const DAY = 86_400;
const SENSOR_TYPES: SensorEventType[] = ['door', 'motion', 'panic', 'sound_level'];

interface Mark {
  at: number;
  writeBytes: number;
  syscw: number;
  syncs: number;
  rssMiB: number;
  processed: number;
  outbox: number;
  auditSeq: number;
}

interface Scenario {
  name: string;
  cameras: number;
  sensors: number;
  uplink: boolean;
  /** targets from the issue: syncs per second and MB written per day */
  target: { syncsPerSecond: number; mbPerDay: number };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'cameras only (4 at 5 fps), uplink up',
    cameras: 4,
    sensors: 0,
    uplink: true,
    target: { syncsPerSecond: 0.5, mbPerDay: 100 },
  },
  {
    name: 'reference site (4 cameras, 20 sensors), uplink up',
    cameras: 4,
    sensors: 20,
    uplink: true,
    target: { syncsPerSecond: 3, mbPerDay: 1000 },
  },
  {
    name: 'reference site, uplink down',
    cameras: 4,
    sensors: 20,
    uplink: false,
    target: { syncsPerSecond: 3, mbPerDay: 1000 },
  },
];

const STRACE = spawnSync('strace', ['-V']).status === 0;

/** Real CCTV frames (vtest.avi) when opencv-doc is installed, else the test photos at 768x576. */
export async function frames(): Promise<{ frames: Buffer[]; source: string }> {
  if (!vtestMissing()) return { frames: await vtestFrames(5, 40), source: 'vtest.avi' };
  const dir = join(REPO, 'fixtures/photos');
  const photos = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => readFileSync(join(dir, f)));
  return {
    frames: await Promise.all(
      photos.map((p) => sharp(p).resize(768, 576, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer()),
    ),
    source: 'test photos (opencv-doc missing)',
  };
}

export function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((r) => {
    child.once('message', (m) => r(m as T));
    child.send(msg);
  });
}

async function runScenario(s: Scenario, clip: Buffer[]): Promise<Record<string, string | number>> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-storage-'));
  let upstream: UpstreamBroker | null = null;
  if (s.uplink) upstream = await startAedesUpstream(() => {});
  // a closed port: records wait in the outbox, as on a box that is offline
  const url = upstream?.url ?? 'mqtt://127.0.0.1:9';
  const entry = [join(REPO, 'bench/storage-gateway.ts'), url, dir, String(s.cameras), String(s.sensors)];
  const node = [process.execPath, '--import', 'tsx', ...entry];
  const traceFile = join(dir, 'syncs.trace');
  // strace counts every fsync and fdatasync of every thread (LevelDB's, libraries'), not only ours
  const [cmd, ...args] = STRACE
    ? [
        'strace',
        '-f',
        '-qq',
        '-ttt',
        '-y',
        '-e',
        process.env.BENCH_STORAGE_TRACE ?? 'trace=fsync,fdatasync,sync_file_range,syncfs',
        '-o',
        traceFile,
        ...node,
      ]
    : node;
  const child = spawn(cmd!, args, {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    // the systemd unit's malloc arenas (not its NODE_ENV: from the sources that logs a warning)
    env: { ...process.env, MALLOC_ARENA_MAX: unitLaunch().env.MALLOC_ARENA_MAX ?? '1' },
  });
  let logBytes = 0;
  child.stderr!.on('data', (d: Buffer) => (logBytes += d.length));
  const ready = await new Promise<{
    url: string;
    creds: Array<{ deviceId: string; kind: 'camera' | 'sensor'; secret: string }>;
  }>((r) => child.once('message', (m) => r(m as never)));
  const sims = await Promise.all(
    ready.creds.map((c, i) =>
      c.kind === 'camera'
        ? startCameraSim({ url: ready.url, deviceId: c.deviceId, secret: c.secret, frames: clip, fps: 5 })
        : startSensorSim({
            url: ready.url,
            deviceId: c.deviceId,
            secret: c.secret,
            type: SENSOR_TYPES[i % SENSOR_TYPES.length]!,
            every: 10,
          }),
    ),
  );
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  const a = await ask<Mark>(child, 'mark');
  const logA = logBytes;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const b = await ask<Mark>(child, 'mark');
  const logB = logBytes;
  await Promise.all(sims.map((x) => x.stop()));
  await ask(child, 'stop');
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  await upstream?.stop();
  const secs = (b.at - a.at) / 1000;
  let syncs = b.syncs - a.syncs;
  let syncSource = 'counted by the outbox and audit log';
  if (STRACE) {
    const lines = (await readFile(traceFile, 'utf8')).split('\n');
    syncs = lines.filter((l) => {
      const t = Number(l.split(/\s+/)[1]) * 1000;
      return t >= a.at && t <= b.at && /^\d+\s+[\d.]+\s+(fsync|fdatasync|sync_file_range|syncfs)\(/.test(l);
    }).length;
    syncSource = 'strace, every thread';
  }
  // BENCH_STORAGE_KEEP=1 keeps the data and the trace to look at (with
  // BENCH_STORAGE_TRACE=trace=%file,write,fdatasync,... -y)
  if (process.env.BENCH_STORAGE_KEEP) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
  const mbPerDay = (((b.writeBytes - a.writeBytes) / secs) * DAY) / 1e6;
  const syncsPerSecond = syncs / secs;
  return {
    scenario: s.name,
    seconds: Math.round(secs),
    'frames processed/s': ((b.processed - a.processed) / secs).toFixed(1),
    'syncs/s': syncsPerSecond.toFixed(2),
    'target syncs/s': `≤ ${s.target.syncsPerSecond}`,
    'written MB/day': mbPerDay.toFixed(0),
    'target MB/day': `≤ ${s.target.mbPerDay}`,
    'log KB/day': ((((logB - logA) / secs) * DAY) / 1e3).toFixed(0),
    'audit entries/min': (((b.auditSeq - a.auditSeq) / secs) * 60).toFixed(1),
    'outbox at end': b.outbox,
    'RSS MiB': b.rssMiB.toFixed(0),
    met: syncsPerSecond <= s.target.syncsPerSecond && mbPerDay <= s.target.mbPerDay ? 'yes' : 'NO',
    syncs: syncSource,
  };
}

/**
 * `npm run bench storage`: what the gateway writes to its card at the reference site, measured from
 * the gateway process's own /proc/self/io (write_bytes: pages it dirtied, so each sync of a
 * partly-filled page costs a whole 4 KiB) and its fsync/fdatasync calls, extrapolated to a day.
 */
export async function benchStorage(): Promise<void> {
  const { frames: clip, source } = await frames();
  console.log(
    `\nstorage: ${SECONDS} s per scenario after ${WARMUP_SECONDS} s of warm-up, frames from ${source}, dataDir on ${tmpdir()}`,
  );
  const rows = [];
  // BENCH_STORAGE_ONLY=0,2 runs only those scenarios
  const only = process.env.BENCH_STORAGE_ONLY?.split(',').map(Number);
  for (const [i, s] of SCENARIOS.entries()) if (!only || only.includes(i)) rows.push(await runScenario(s, clip));
  console.table(rows);
}
