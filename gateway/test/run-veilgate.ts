import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../operations/cli/dev.js', import.meta.url).pathname;

export interface VeilgateRun {
  code: number;
  stdout: string;
  stderr: string;
  /** both streams, for messages that go to either */
  output: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** for commands that print more than execFile's 1 MiB (a report of a busy audit log) */
  maxBuffer?: number;
}

/** Runs `veilgate ARGS` from the sources, as a user would: its exit code and what it printed, never a throw. */
export async function runVeilgate(args: string[], opts: RunOptions = {}): Promise<VeilgateRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], opts);
    return { code: 0, stdout, stderr, output: `${stdout}${stderr}` };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr, output: `${x.stdout}${x.stderr}` };
  }
}

/** `veilgate ARGS` that must succeed, a step on the way to what a test checks: another exit throws with its output. */
export async function veilgateOk(args: string[], opts: RunOptions = {}): Promise<VeilgateRun> {
  const r = await runVeilgate(args, opts);
  if (r.code !== 0) throw new Error(`veilgate ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  return r;
}
