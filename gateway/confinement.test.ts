import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry } from './foundation/registry/index.ts';
import { startEmbeddedUpstream } from './operations/embedded-upstream.ts';
import { freePort } from './test/upstream-brokers.ts';
import { waitFor, PHOTOS } from './test/harness.ts';
import {
  loadJpegFrames,
  rtspSimMissing,
  startCameraSim,
  startRtspCameraSim,
  startSensorSim,
} from '../simulators/index.ts';

const BIN = new URL('./operations/cli/dev.js', import.meta.url).pathname;
const POLICY = new URL('../policies/default.yaml', import.meta.url).pathname;
const STRACE_MISSING = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs strace (Debian package strace) to watch every file and socket call of the gateway';
  }
})();

/** Whether an openat-family call asks to write, create or truncate. */
const WRITES = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/;

// ffmpeg is one of the gateway's processes: with the RTSP simulator, an RTSP camera is watched too
const RTSP_MISSING = await rtspSimMissing();

test(
  'the gateway with cameras (MQTT and RTSP, ffmpeg included) and a sensor writes only under dataDir, opens no socket but its config names, and resolves no name',
  { skip: STRACE_MISSING, timeout: 120_000 },
  async (t) => {
    if (RTSP_MISSING) t.diagnostic(`without the RTSP camera: ${RTSP_MISSING}`);
    const rtsp = RTSP_MISSING ? null : await startRtspCameraSim({ frames: await loadJpegFrames(PHOTOS), fps: 4 });
    t.after(() => rtsp?.stop());
    const dir = await mkdtemp(join(tmpdir(), 'veilgate-confined-'));
    const home = join(dir, 'home');
    const upstreamRecords: string[] = [];
    const upstream = await startEmbeddedUpstream('veilgate', (r) => upstreamRecords.push(r.topic));
    t.after(async () => {
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const dataDir = join(dir, 'data');
    const [brokerPort, httpPort] = [await freePort(), await freePort()];
    const upstreamPort = Number(new URL(upstream.url).port);
    await writeFile(
      join(dir, 'gateway.yaml'),
      `gatewayId: gw-confined\ndataDir: ${dataDir}\npolicy: ${POLICY}\nbroker: { host: 127.0.0.1, port: ${brokerPort} }\nhttp: { host: 127.0.0.1, port: ${httpPort} }\nupstream: { url: "mqtt://127.0.0.1:${upstreamPort}" }\n` +
        (rtsp ? `cameras: { pole-cam: { source: "${rtsp.url}", fps: 2 } }\n` : ''),
    );
    const registry = await DeviceRegistry.open(dataDir);
    const camSecret = await registry.add('cam-1', 'camera');
    const doorSecret = await registry.add('door-1', 'sensor');

    const trace = join(dir, 'trace.txt');
    // HOME and the temp folder point into the test's folder, so a write to either would show; tsx's
    // transform cache is off (the installed gateway runs the bundle, which has none)
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: join(dir, 'tmp'), TSX_DISABLE_CACHE: '1' };
    delete env.ORT_DISABLE_TELEMETRY; // the gateway must switch it off itself
    const gw = spawn(
      'strace',
      [
        '-f',
        '-qq',
        '-o',
        trace,
        '-e',
        'trace=openat,open,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,connect,sendto,sendmsg',
        process.execPath,
        BIN,
        'start',
        '--config',
        join(dir, 'gateway.yaml'),
        '--log-level',
        'warn',
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    let stderr = '';
    gw.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => gw.on('exit', (code) => r(code)));
    // strace passes a SIGKILL on to the gateway only through its process group
    t.after(() => {
      if (gw.exitCode === null) process.kill(-gw.pid!, 'SIGKILL');
    });
    const seen = () => `topics upstream: ${[...new Set(upstreamRecords)].join(', ')}; gateway said: ${stderr}`;
    await waitFor(
      'the gateway to connect upstream',
      () => upstreamRecords.some((t) => t.endsWith('/status')),
      60_000,
    ).catch((e: Error) => assert.fail(`${e.message}; ${seen()}`));

    const url = `mqtt://127.0.0.1:${brokerPort}`;
    const cam = await startCameraSim({
      url,
      deviceId: 'cam-1',
      secret: camSecret,
      frames: await loadJpegFrames(PHOTOS),
      fps: 4,
    });
    const door = await startSensorSim({ url, deviceId: 'door-1', secret: doorSecret, type: 'door', every: 0.5 });
    await waitFor(
      'records upstream from the sensor and the camera',
      () =>
        upstreamRecords.some((t) => t.endsWith('/door-1/door')) &&
        upstreamRecords.some((t) => t.includes('/cam-1/')) &&
        (!rtsp || upstreamRecords.some((t) => t.includes('/pole-cam/'))),
      60_000,
    ).catch((e: Error) => assert.fail(`${e.message}; ${seen()}`));
    await Promise.all([cam.stop(), door.stop()]);
    // to the gateway itself, not to strace (which would detach and leave it running)
    const traced = Number((await readFile(`/proc/${gw.pid}/task/${gw.pid}/children`, 'utf8')).trim().split(' ')[0]);
    process.kill(traced, 'SIGTERM');
    assert.equal(await exited, 0, stderr);

    const calls = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
    const pathOf = (line: string) => /"([^"]*)"/.exec(line)?.[1] ?? '';
    const allowed = (p: string) =>
      p.startsWith(`${dataDir}/`) ||
      p === dataDir ||
      p.startsWith('/dev/') ||
      p.startsWith('/proc/') ||
      p.startsWith('/sys/');
    const fileWrites = calls
      .filter(
        (l) =>
          (/ (openat|open|creat)\(/.test(l) && WRITES.test(l)) ||
          / (mkdir|mkdirat|rename|renameat2?|unlink|unlinkat)\(/.test(l),
      )
      .filter((l) => !/= -1 E/.test(l) || / creat\(| mkdir/.test(l));
    const outside = fileWrites.filter((l) => !allowed(pathOf(l)));
    assert.deepEqual(outside, [], 'no write outside dataDir');
    const connects = calls.filter((l) => / connect\(/.test(l));
    const inet = connects.filter((l) => /AF_INET/.test(l));
    const ports = new Set(inet.map((l) => Number(/sin6?_port=htons\((\d+)\)/.exec(l)?.[1])));
    for (const l of inet)
      assert.match(l, /inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6?, "(::1|127\.0\.0\.1)"/, `only loopback: ${l}`);
    const configured = [upstreamPort, ...(rtsp ? [Number(new URL(rtsp.url).port)] : [])];
    assert.deepEqual(
      [...ports].filter((p) => !configured.includes(p)),
      [],
      'the only sockets opened are the configured upstream and camera',
    );
    // ffmpeg's frames come through a Unix socket under dataDir, and no other is connected to
    const unix = connects.filter((l) => /AF_UNIX/.test(l) && !/= -1 E/.test(l)).map(pathOf);
    assert.deepEqual(
      unix.filter((p) => !p.startsWith(`${dataDir}/`)),
      [],
      'Unix sockets only under dataDir',
    );
    if (rtsp) assert.ok(unix.includes(join(dataDir, 'rtsp', '0.sock')), 'the RTSP frames come through dataDir/rtsp');
    // a lookup reads /etc/hosts (glibc) or asks nscd or a DNS server; reading resolv.conf alone is
    // c-ares setting up Node's resolver when the dns module loads, which asks nothing
    const resolver = calls.filter((l) => /nscd|"\/etc\/hosts"|htons\(53\)/.test(l));
    assert.deepEqual(resolver, [], 'no name resolved');
    const telemetry = calls.filter((l) => /Microsoft|onnxruntime\.db|deviceid/.test(l));
    assert.deepEqual(telemetry, [], "onnxruntime's telemetry store is never touched");
  },
);
