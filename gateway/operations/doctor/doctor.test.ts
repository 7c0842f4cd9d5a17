import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { REPO } from '../../test/harness.ts';
import { runVeilgate, veilgateOk } from '../../test/run-veilgate.ts';

/** `veilgate doctor` on a config: its exit code and report (stdout). */
const doctor = (config: string, env?: NodeJS.ProcessEnv) =>
  runVeilgate(['doctor', '--config', config], env ? { env } : {});

/** A config a good installation passes with: the default policy, ports picked when used. */
async function goodConfig(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-doctor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'gateway.yaml');
  await writeFile(
    config,
    `dataDir: ./data\npolicy: ${join(REPO, 'policies/default.yaml')}\nbroker: { port: 0 }\nhttp: { port: 0 }\n`,
  );
  return config;
}

test('doctor passes a good installation: native modules load on this CPU, models verify, dataDir writes, ports are free', async (t) => {
  const config = await goodConfig(t);
  const r = await doctor(config);
  assert.equal(r.code, 0, r.stdout);
  for (const line of [
    /^OK +sharp: libvips/m,
    /^OK +onnxruntime-node: runs on/m,
    /^OK +classic-level/m,
    /^OK +model blazeface-front-128: .*verified/m,
    /^OK +dataDir/m,
    /^OK +clock/m,
    /^OK +policy: .*veilgate-default v2, valid/m,
  ]) {
    assert.match(r.stdout, line);
  }
  assert.match(r.stdout, /^(OK|WARN) +ffmpeg/m);
  // the tests run the sources (gateway/operations/cli/dev.js); the installed command runs dist/
  // (bundle.test.ts, .ci/arm64-smoke)
  assert.match(r.stdout, /^WARN +bundle: .*runs from the TypeScript sources[^\n]*\n +fix: .*npm run build/m);
});

test('doctor checks that dataDir can hold the RTSP frame sockets, and names a dataDir too long for them', async (t) => {
  const config = await goodConfig(t);
  const base = await readFile(config, 'utf8');
  const camera = "cameras: { pole-cam: { source: 'rtsp://127.0.0.1:9/live' } }\n";
  await writeFile(config, base + camera);
  let r = await doctor(config);
  assert.match(r.stdout, /^OK +rtsp sockets: .*\/data\/rtsp can hold the frame sockets of 1 RTSP camera/m);
  const data = join(config, '..', 'data');
  assert.deepEqual(
    (await readdir(data)).filter((f) => f.startsWith('.doctor') || f === 'rtsp'),
    [],
    'the probe leaves nothing behind (doctor may run as another user than the service)',
  );
  await writeFile(config, base.replace('dataDir: ./data', `dataDir: ./${'d'.repeat(100)}`) + camera);
  r = await doctor(config);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /^FAIL +rtsp sockets: RTSP cameras need a shorter dataDir[^\n]*\n +fix: .*ext4, not FAT/m);
});

test('doctor names each problem and says what to fix: a port in use, an unwritable dataDir, an invalid policy', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-doctor-'));
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    busy.close();
    await rm(dir, { recursive: true, force: true });
  });
  const port = (busy.address() as AddressInfo).port;
  await writeFile(join(dir, 'not-a-dir'), 'a file where dataDir should be');
  await writeFile(
    join(dir, 'policy.yaml'),
    'id: x\nversion: 1\ntitle: t\nrules:\n  - id: r\n    match: { recordTypes: [door] }\n    allow: [tpye]\n',
  );
  const config = join(dir, 'gateway.yaml');
  await writeFile(
    config,
    `dataDir: ./not-a-dir\npolicy: ./policy.yaml\nbroker: { port: ${port} }\nhttp: { port: 0 }\n`,
  );
  const r = await doctor(config);
  assert.equal(r.code, 1, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(
      `^FAIL +port broker \\(mqtt\\): 127.0.0.1:${port}: EADDRINUSE\\n +fix: .*stop it, or change the port`,
      'm',
    ),
  );
  assert.match(r.stdout, /^FAIL +dataDir: .*not-a-dir.*\n +fix: create it/m);
  assert.match(r.stdout, /^FAIL +policy: .*error.*\n +fix: veilgate policy check/m);
  assert.match(r.stdout, /3 problem\(s\) to fix/);
});

test('doctor fails GPIO sensors whose chip cannot be opened and names the systemd drop-in that allows it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-doctor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'gateway.yaml');
  // this machine has no GPIO chip: under PrivateDevices=yes a Pi looks the same
  await writeFile(
    config,
    `dataDir: ./data\npolicy: ${join(REPO, 'policies/default.yaml')}\nbroker: { port: 0 }\nhttp: { port: 0 }\ngpio: { chip: gpiochip-veilgate-none }\nsensors:\n  - { id: door-gpio, kind: door, pin: 4 }\n`,
  );
  const r = await doctor(config);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /^FAIL +gpio: \/dev\/gpiochip-veilgate-none: .*ENOENT/m);
  assert.match(r.stdout, /docs\/deploy\/veilgate-gpio\.conf/);
});

test('the GPIO drop-in opens the GPIO chips, and only them, to the hardened unit', async () => {
  const unit = await readFile(join(REPO, 'docs/deploy/veilgate.service'), 'utf8');
  const dropIn = await readFile(join(REPO, 'docs/deploy/veilgate-gpio.conf'), 'utf8');
  assert.match(unit, /^PrivateDevices=yes$/m, 'the unit alone hides every device');
  assert.match(dropIn, /^PrivateDevices=no$/m);
  assert.match(dropIn, /^DevicePolicy=closed$/m, 'the drop-in keeps every other device closed');
  assert.deepEqual(dropIn.match(/^DeviceAllow=.*$/gm), ['DeviceAllow=char-gpiochip rw']);
});

test('doctor warns about a device certificate that expires within 30 days and names the command that re-issues it', async (t) => {
  const config = await goodConfig(t);
  const cli = (...args: string[]) => veilgateOk([...args, '--config', config]);
  await cli('certs', 'init');
  await cli('devices', 'add', 'cam-soon', '--kind', 'camera');
  await cli('devices', 'add', 'cam-later', '--kind', 'camera');
  await cli('certs', 'device', 'cam-soon', '--days', '10');
  await cli('certs', 'device', 'cam-later');
  await assert.rejects(
    cli('certs', 'device', 'cam-later', '--days', '0'),
    /--days must be a whole number from 1 to 825/,
  );
  const r = await doctor(config);
  assert.equal(r.code, 0, 'a warning is not a failure');
  assert.match(
    r.stdout,
    /^WARN +certificate of cam-soon: expires on \S+, in 9 days\n +fix: veilgate certs device cam-soon/m,
  );
  assert.match(r.stdout, /^OK +certificate of cam-later: valid until/m);
});

test("doctor connects to the agency's broker with the configured credentials: refused ones fail, an unreachable broker warns", async (t) => {
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const good = username === 'gw' && password?.toString() === 'right';
      done(good ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), good);
    },
  });
  const server = createServer(broker.handle as never);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    await new Promise((r) => server.close(r));
    await new Promise<void>((r) => broker.close(() => r()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = await goodConfig(t);
  const base = await readFile(config, 'utf8');
  const withUpstream = (u: string) => writeFile(config, `${base}upstream: { url: '${u}', username: gw }\n`);
  const run = (password: string) => doctor(config, { ...process.env, VEILGATE_UPSTREAM_PASSWORD: password });
  await withUpstream(url);
  let r = await run('right');
  assert.match(r.stdout, /^OK +upstream: mqtt:\/\/127\.0\.0\.1:\d+: connected as gw/m);
  r = await run('wrong');
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /^FAIL +upstream: .*bad user name or password\n +fix: check upstream.username/m);
  // nothing listens there: a warning, not a failure (a box may be offline for days)
  const closed = createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', () => res()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((res) => closed.close(res));
  await withUpstream(`mqtt://127.0.0.1:${port}`);
  r = await run('right');
  assert.match(r.stdout, /^WARN +upstream: .*not reachable now/m);
  // a cluster (upstream.urls): every node is tried, and the one down is named beside the one up
  await writeFile(config, `${base}upstream: { urls: ['${url}', 'mqtt://127.0.0.1:${port}'], username: gw }\n`);
  r = await run('right');
  assert.match(
    r.stdout,
    /^WARN +upstream: mqtt:\/\/127\.0\.0\.1:\d+: connected as gw; mqtt:\/\/127\.0\.0\.1:\d+: not reachable now.*\n +fix: the uplink uses the nodes it can reach/m,
  );
});
