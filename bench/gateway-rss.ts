import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startCameraSim } from '../simulators/index.ts';

interface Sample { rssMiB: number; processed: number; detected: number }

/**
 * Resident memory of a real gateway in its own process (broker, audit, outbox, frame worker with
 * the four models), at start and after `count` frames sent over MQTT at 5 fps by a simulated camera.
 * MALLOC_ARENA_MAX=2 as in docs/deploy/veilgate.service.
 */
export async function gatewayRss(frames: Buffer[], count: number, env: NodeJS.ProcessEnv = { ...process.env, MALLOC_ARENA_MAX: '2' }): Promise<{ start: number; end: number; processed: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./gateway-process.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'], env });
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
  return { start: start.rssMiB, end: now.rssMiB, processed: now.processed };
}
