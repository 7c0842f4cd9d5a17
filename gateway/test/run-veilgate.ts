import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../operations/cli/dev.js', import.meta.url).pathname;

/**
 * Runs `veilgate ARGS` from the sources, as a user would: its exit code and what it printed (`output`
 * is both streams, for messages that go to either), never a throw.
 */
export async function runVeilgate(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr, output: `${stdout}${stderr}` };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr, output: `${x.stdout}${x.stderr}` };
  }
}
