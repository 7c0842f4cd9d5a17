/**
 * Loaded with --import into a child process: makes the n-th call of one filesystem operation fail
 * (ENOSPC, EIO) or kill the process before it happens, so a test can stop a writer at every step.
 * VEILGATE_FAULT=op:n:action, op one of FAULT_OPS, action kill|ENOSPC|EIO. With
 * VEILGATE_FAULT_COUNT=file, the number of calls of each op is written to that file at exit.
 */
import fs from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export const FAULT_OPS = [
  'open',
  'write',
  'datasync',
  'sync',
  'truncate',
  'rename',
  'rm',
  'copyFile',
  'writeFile',
] as const;
type Op = (typeof FAULT_OPS)[number];

const counts: Record<string, number> = {};
const [faultOp, faultAt, action] = (process.env.VEILGATE_FAULT ?? '').split(':') as [Op | '', string, string];
const countFile = process.env.VEILGATE_FAULT_COUNT;
if (countFile) process.on('exit', () => writeFileSync(countFile, JSON.stringify(counts)));

function before(op: Op): void {
  counts[op] = (counts[op] ?? 0) + 1;
  if (op !== faultOp || counts[op] !== Number(faultAt)) return;
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  throw Object.assign(new Error(`${action} (injected at ${op} #${faultAt})`), { code: action });
}

type AnyFn = (...args: unknown[]) => Promise<unknown>;
function wrap(target: Record<string, unknown>, name: string, op: Op): void {
  const original = target[name] as AnyFn;
  target[name] = async function (this: unknown, ...args: unknown[]) {
    before(op);
    return original.apply(this, args);
  };
}

const probe = await fs.open(process.execPath, 'r');
const handle = Object.getPrototypeOf(probe) as Record<string, unknown>;
await probe.close();
for (const op of ['write', 'datasync', 'sync', 'truncate'] as const) wrap(handle, op, op);
for (const op of ['open', 'truncate', 'rename', 'rm', 'copyFile', 'writeFile'] as const)
  wrap(fs as unknown as Record<string, unknown>, op, op);
syncBuiltinESMExports();
