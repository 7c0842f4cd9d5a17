import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedUpstream } from '../embedded-upstream.ts';

const BIN = new URL('./dev.js', import.meta.url).pathname;

const REPO = new URL('../../../', import.meta.url).pathname;

/**
 * Starts a command in its own process group, waits for `ready` in its output, then signals the whole
 * group as a terminal's Ctrl-C does, and returns how it ended.
 */
async function runUntil(cmd: string[], ready: RegExp, signal: NodeJS.Signals) {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<string>((r) =>
    child.on('exit', (code, sig) => r(code !== null ? `exit ${code}` : `killed by ${sig}`)),
  );
  const until = Date.now() + 60_000;
  while (!ready.test(out)) {
    if (Date.now() > until || child.exitCode !== null) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`never became ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const sentAt = Date.now();
  process.kill(-child.pid!, signal);
  const ended = await exited;
  return { ended, out, stopMs: Date.now() - sentAt };
}

test('npm start prints upstream records live and stops on Ctrl-C with exit 0', async () => {
  // Ctrl-C once the demo is in its steady state: the first counts record shows the camera path works too
  const r = await runUntil(['npm', 'start', '--silent'], /veilgate\/demo\/cam-1\/counts +\{"windowStart"/, 'SIGINT');
  assert.equal(r.ended, 'exit 0', r.out);
  assert.match(r.out, /stopped: \d+ frames redacted/);
  assert.ok(r.stopMs < 20_000);
  assert.doesNotMatch(r.out, /shutdown did not finish/);
});

test('veilgate start runs from a config file and stops on SIGTERM with exit 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-start-'));
  const upstream = await startEmbeddedUpstream('veilgate', () => {});
  t.after(async () => {
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const policy = new URL('../../../policies/default.yaml', import.meta.url).pathname;
  const cfg = join(dir, 'gateway.yaml');
  await writeFile(
    cfg,
    `gatewayId: gw-cli\ndataDir: ./data\npolicy: ${policy}\nbroker:\n  port: 0\nhttp:\n  port: 0\nupstream:\n  url: ${upstream.url}\n`,
  );
  const r = await runUntil([process.execPath, BIN, 'start', '--config', cfg], /"msg":"upstream connected"/, 'SIGTERM');
  assert.equal(r.ended, 'exit 0', r.out);
  assert.match(r.out, /"msg":"gateway stopped"/);
});
