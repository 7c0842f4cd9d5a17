import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

const BIN = new URL('./dev.js', import.meta.url).pathname;
const POLICY = new URL('../../../policies/default.yaml', import.meta.url).pathname;

/** `veilgate start` with a config; how it ended, what it printed and how long it took. Killed after `limitMs`. */
async function start(dir: string, broker: string, opts: { signalWhen?: RegExp; limitMs?: number } = {}) {
  const cfg = join(dir, 'gateway.yaml');
  // the upstream is a closed loopback port: the start must not depend on the agency being reachable
  await writeFile(
    cfg,
    `gatewayId: gw-fail\ndataDir: ./data\npolicy: ${POLICY}\nbroker: ${broker}\nhttp:\n  port: 0\nupstream:\n  url: mqtt://127.0.0.1:9\n`,
  );
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--config', cfg, '--log-level', opts.signalWhen ? 'info' : 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let signalled = false;
  const seen = (d: Buffer) => {
    stderr += d;
    if (opts.signalWhen && !signalled && opts.signalWhen.test(stderr)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  };
  child.stderr.on('data', seen);
  child.stdout.on('data', seen);
  const began = Date.now();
  const limit = setTimeout(() => child.kill('SIGKILL'), opts.limitMs ?? 30_000);
  const ended = await new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  clearTimeout(limit);
  return { ...ended, stderr, ms: Date.now() - began };
}

async function workdir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-startfail-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test(
  'a start whose broker port is taken exits non-zero with one clear line, frame workers and all',
  { timeout: 60_000 },
  async (t) => {
    const dir = await workdir(t);
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const r = await start(dir, `{ host: 127.0.0.1, port: ${port} }`);
    assert.notEqual(r.code, 0, `exit code ${r.code} (signal ${r.signal}), not killed by the test`);
    assert.equal(r.signal, null, `ended by itself: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`veilgate: cannot listen on 127\\.0\\.0\\.1:${port}: another program uses it`));
  },
);

test(
  'a start on an address the machine does not have (yet) exits non-zero and says so',
  { timeout: 60_000 },
  async (t) => {
    const dir = await workdir(t);
    // TEST-NET-1: never an address of this machine; binding to it sends nothing anywhere
    const r = await start(dir, '{ host: 192.0.2.1, port: 0 }');
    assert.equal(r.signal, null, `ended by itself: ${r.stderr}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /veilgate: cannot listen on 192\.0\.2\.1(:\d+)?: it is not an address of this machine/);
  },
);

test(
  'a start whose broker store is held by another process exits non-zero and names it',
  { timeout: 60_000 },
  async (t) => {
    const dir = await workdir(t);
    await mkdir(join(dir, 'data', 'broker'), { recursive: true });
    const db = new ClassicLevel(join(dir, 'data', 'broker'));
    await db.open();
    t.after(() => db.close());
    const r = await start(dir, '{ host: 127.0.0.1, port: 0 }');
    assert.equal(r.signal, null, `ended by itself: ${r.stderr}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /veilgate: .*data\/broker is in use by another process/);
  },
);

test(
  'SIGTERM while the gateway is starting (frame workers up, broker not yet listening) ends the process',
  { timeout: 60_000 },
  async (t) => {
    const dir = await workdir(t);
    const r = await start(dir, '{ host: 127.0.0.1, port: 0 }', {
      signalWhen: /frame workers ready|models could not be loaded/,
    });
    assert.equal(r.signal, null, `ended by itself, not by the test's SIGKILL: ${r.stderr}`);
    // stopped cleanly, whether the signal came before the start finished or just after
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 30_000, `${r.ms} ms`);
  },
);
