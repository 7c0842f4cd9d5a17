import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildBundle, GATEWAY_ENTRIES } from '../gateway/operations/bundle/index.ts';
import { REPO } from '../gateway/foundation/repo.ts';
import { startCameraSim } from '../simulators/index.ts';
import { unitLaunch } from './as-installed.ts';

interface Sample {
  rssMiB: number;
  processed: number;
  detected: number;
}

export type GatewayForm = 'bundled' | 'sources';

/** as `npm run build` makes it, in a folder of the bench's own (one level deep, as dist/) */
const BENCH_BUNDLE = '.bench-dist';

/** The command line of the bench's gateway process: the bundle (as installed) or the sources through tsx. */
async function gatewayCommand(form: GatewayForm): Promise<string[]> {
  if (form === 'sources') return ['--import', 'tsx', join(REPO, 'bench/gateway-process.ts')];
  await buildBundle(REPO, BENCH_BUNDLE, {
    'gateway-process': 'bench/gateway-process.ts',
    entry: GATEWAY_ENTRIES.entry!,
  });
  return [...unitLaunch().flags, join(REPO, BENCH_BUNDLE, 'gateway-process.js')];
}

/**
 * Resident memory of a real gateway in its own process (broker, audit, outbox, frame worker with
 * the four models), at start and after `count` frames sent over MQTT at 5 fps by a simulated camera.
 * The environment and (bundled) node's flags are docs/deploy/veilgate.service's.
 */
export async function gatewayRss(
  frames: Buffer[],
  count: number,
  form: GatewayForm,
  env: NodeJS.ProcessEnv = { ...process.env, ...unitLaunch().env },
): Promise<{ start: number; end: number; processed: number }> {
  const child = spawn(process.execPath, await gatewayCommand(form), { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse(String((await lines.next()).value)) as T;
  const ask = () => (child.stdin!.write('rss\n'), next<Sample>());
  const cam = await next<{ url: string; deviceId: string; secret: string }>();
  const start = await ask();
  const sim = await startCameraSim({ ...cam, frames, fps: 5 });
  let now = start;
  while (now.processed < count) {
    await new Promise((r) => setTimeout(r, 1000));
    now = await ask();
  }
  await sim.stop();
  child.stdin!.end('stop\n');
  await new Promise((r) => child.once('exit', r));
  if (form === 'bundled') await rm(join(REPO, BENCH_BUNDLE), { recursive: true, force: true });
  return { start: start.rssMiB, end: now.rssMiB, processed: now.processed };
}
