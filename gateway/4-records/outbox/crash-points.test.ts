import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';
import { bundledScript } from '../../test/bundled-script.ts';

const SCRIPTS = await mkdtemp(join(tmpdir(), 'veilgate-crash-scripts-'));
after(() => rm(SCRIPTS, { recursive: true, force: true }));
// bundled once: each of the hundreds of runs below is a process of its own
const script = (f: string) => bundledScript(new URL(f, import.meta.url).pathname, SCRIPTS);
const [WORKER, FAULTS] = await Promise.all([
  script('../../test/outbox-crash-worker.ts'),
  script('../../test/fault-fs.ts'),
]);

interface Run {
  acked: Set<string>;
  delivered: Set<string>;
  killed: boolean;
  out: string;
}

/** Runs the writer in its own process with one injected fault; a kill is a real SIGKILL. */
function runWorker(dir: string, phase: 'work' | 'recover', env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', FAULTS, WORKER, dir, phase],
      { env: { ...process.env, ...env } },
      (err, stdout) => {
        const lines = stdout.split('\n');
        const ids = (verb: string) =>
          new Set(lines.filter((l) => l.startsWith(`${verb} `)).map((l) => l.slice(verb.length + 1)));
        resolve({
          acked: ids('acked'),
          delivered: ids('delivered'),
          killed: (err as { signal?: string } | null)?.signal === 'SIGKILL',
          out: stdout,
        });
      },
    );
  });
}

async function countCalls(dir: string, phase: 'work' | 'recover'): Promise<Record<string, number>> {
  const file = join(dir, `counts-${phase}.json`);
  await runWorker(join(dir, 'ob'), phase, { VEILGATE_FAULT_COUNT: file });
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
}

/** Every record acknowledged to a device is, after the restart, pending or already delivered. */
async function assertNothingAckedLost(dir: string, run: Run, what: string): Promise<void> {
  const box = await DurableOutbox.open(dir);
  const pending = new Set((await box.list()).map((e) => e.id));
  await box.close();
  const lost = [...run.acked].filter((id) => !pending.has(id) && !run.delivered.has(id));
  assert.deepEqual(lost, [], `${what}: acknowledged and lost after the restart`);
  assert.equal(box.recovered.corruptLines, 0, `${what}: no damaged line`);
}

/** Runs jobs two at a time: each is a process of its own. */
async function inPairs<T>(items: T[], job: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    [0, 1].map(async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await job(item);
    }),
  );
}

function points(counts: Record<string, number>): Array<[string, number]> {
  return Object.entries(counts).flatMap(([op, n]) =>
    Array.from({ length: n }, (_, i) => [op, i + 1] as [string, number]),
  );
}

test(
  'killed at every filesystem step of put, ack, a new segment and deleting delivered ones, the outbox loses no acknowledged record',
  { timeout: 180_000 },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'veilgate-crash-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    const counts = await countCalls(await mkdtemp(join(base, 'count-')), 'work');
    // each delivered segment is two rm calls (the file and its index)
    assert.ok(
      (counts.rm ?? 0) >= 4 && (counts.writeFile ?? 0) >= 2,
      `the workload seals and deletes segments at least twice (${JSON.stringify(counts)})`,
    );
    let kills = 0;
    await inPairs(points(counts), async ([op, n]) => {
      const dir = join(await mkdtemp(join(base, 'k-')), 'ob');
      const run = await runWorker(dir, 'work', { VEILGATE_FAULT: `${op}:${n}:kill` });
      if (run.killed) kills++;
      await assertNothingAckedLost(dir, run, `killed at ${op} #${n}`);
    });
    // group commit makes the number of calls vary from run to run, more on a slow machine: the last few may not be
    // reached
    assert.ok(kills >= points(counts).length * 0.8, `steps reached and killed: ${kills} of ${points(counts).length}`);
  },
);

test(
  'a disk that fails one write, sync, rename or open (ENOSPC, EIO) loses no acknowledged record, then or after a clean restart',
  { timeout: 180_000 },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'veilgate-fault-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    const counts = await countCalls(await mkdtemp(join(base, 'count-')), 'work');
    const cases = points(counts).flatMap(([op, n]) =>
      (['ENOSPC', 'EIO'] as const)
        .filter((code) => code === 'ENOSPC' || op === 'rename' || op === 'datasync')
        .map((code) => [op, n, code] as const),
    );
    await inPairs([...cases], async ([op, n, code]) => {
      const dir = join(await mkdtemp(join(base, 'f-')), 'ob');
      const run = await runWorker(dir, 'work', { VEILGATE_FAULT: `${op}:${n}:${code}` });
      // a fault while opening is refused with its code; any later one, the writer carries on past
      assert.match(
        run.out,
        new RegExp(`closed|open-failed ${code}`),
        `${code} at ${op} #${n}: the writer carried on or stopped with the error`,
      );
      await assertNothingAckedLost(dir, run, `${code} at ${op} #${n}`);
    });
  },
);

test(
  'killed at every step of its recovery, after a crash while deleting a delivered segment, the outbox still loses nothing',
  { timeout: 120_000 },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'veilgate-recover-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    const counts = await countCalls(await mkdtemp(join(base, 'count-')), 'work');
    // killed between deleting a delivered segment and its index file
    const crashed = async () => {
      const dir = join(await mkdtemp(join(base, 'r-')), 'ob');
      return { dir, run: await runWorker(dir, 'work', { VEILGATE_FAULT: 'rm:2:kill' }) };
    };
    const probe = await crashed();
    const recoverCounts = await (async () => {
      const file = join(base, 'counts-recover.json');
      await runWorker(probe.dir, 'recover', { VEILGATE_FAULT_COUNT: file });
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
    })();
    assert.ok((counts.rm ?? 0) >= 2 && (recoverCounts.rm ?? 0) >= 1, JSON.stringify(recoverCounts));
    await inPairs(points(recoverCounts), async ([op, n]) => {
      const { dir, run } = await crashed();
      await runWorker(dir, 'recover', { VEILGATE_FAULT: `${op}:${n}:kill` });
      await assertNothingAckedLost(dir, run, `recovery killed at ${op} #${n}`);
    });
  },
);
