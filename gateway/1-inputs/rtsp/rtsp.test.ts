import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { deviceTopic } from '../../../devices/index.ts';
import {
  connectDevice,
  loadVideoFrames,
  rtspSimMissing,
  sampleEvent,
  startRtspCameraSim,
} from '../../../simulators/index.ts';
import { VTEST, vtestMissing } from '../../../fixtures/vtest.ts';
import { sum, tallyAudit } from '../../test/audit-tally.ts';
import type { GatewayStatus } from '../../operations/http/index.ts';
import { PHOTOS, startHarness, waitFor } from '../../test/harness.ts';
import { FrameBuffers } from '../../2-pipeline/index.ts';
import { FfmpegLog, ffmpegInput, FrameSocket, sanitizeFfmpegMessage } from './index.ts';

function ffmpegMissing(): string | null {
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'ffmpeg is not installed (apt-get install ffmpeg; .ci/run installs it)';
  }
}
const NO_FFMPEG = ffmpegMissing();
const NO_SIM = NO_FFMPEG ?? (await rtspSimMissing());
const PASSWORD = 'se:cr@t/1';

/** Two committed photos, one with a face, as 640x480 camera frames. */
function photoFrames(): Promise<Buffer[]> {
  return Promise.all(
    ['astronaut.png', 'coffee.png'].map((f) =>
      sharp(join(PHOTOS, f)).resize(640, 480, { fit: 'cover' }).jpeg().toBuffer(),
    ),
  );
}

/**
 * The command lines of the ffmpegs this test process started: what `ps` shows any user on the box.
 * Only its own children, so test files running side by side do not see each other's.
 */
function ffmpegCommandLines(): string[] {
  return ffmpegChildren().map((c) => c.cmd);
}

function ffmpegChildren(): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (/(^|\/)ffmpeg /.test(cmd)) out.push({ pid: Number(pid), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

test('ffmpeg is told the stream on fd 3, never on its command line; its messages lose the credentials', () => {
  const src = { url: 'rtsp://10.0.0.7:554/live', username: 'admin', password: PASSWORD, fps: 2, stallSeconds: 10 };
  const { args, script } = ffmpegInput(src, '/var/lib/veilgate/rtsp/0.sock');
  assert.ok(!args.join(' ').includes('10.0.0.7'), 'no URL on the command line');
  assert.ok(!args.join(' ').includes('admin'));
  assert.match(script, /file 'rtsp:\/\/admin:se%3Acr%40t%2F1@10\.0\.0\.7:554\/live'/);
  const msg = sanitizeFfmpegMessage(
    `[rtsp] rtsp://admin:se%3Acr%40t%2F1@10.0.0.7:554/live: 401 Unauthorized; tried ${PASSWORD}`,
    src,
  );
  assert.ok(!msg.includes('se%3A') && !msg.includes(PASSWORD), msg);
  assert.match(msg, /rtsp:\/\/\*\*\*@10\.0\.0\.7/);
});

test('a dataDir too long for a Unix socket path is a failed start that says so, before any ffmpeg runs', async () => {
  const dataDir = join(tmpdir(), `veilgate-${'d'.repeat(100)}`);
  await assert.rejects(
    startHarness({ dataDir, cameras: { 'pole-cam': { source: 'rtsp://127.0.0.1:9/live' } } }),
    /RTSP cameras need a shorter dataDir/,
  );
  assert.deepEqual(ffmpegCommandLines(), []);
  await rm(dataDir, { recursive: true, force: true });
});

test('the frame socket waits for ffmpeg to listen, reads nothing before the frame size is known, then cuts exact frames into buffers used again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-frame-socket-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.sock');
  const frameBytes = 4 * 3 * 3;
  const stream = Buffer.from(Array.from({ length: frameBytes * 5 + 5 }, (_, i) => (i * 7) % 256));
  const frames: Buffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  const buffers = new FrameBuffers();
  const reader = new FrameSocket({
    path,
    retryMs: 20,
    take: (n) => buffers.take(n),
    frame: (rgb) => {
      seen.add(rgb.buffer);
      assert.equal(rgb.buffer.byteLength, frameBytes, 'alone in its ArrayBuffer: moved to a worker without a copy');
      frames.push(Buffer.from(rgb)); // a copy: the buffer goes back to be read into again, as a worker hands it back
      buffers.give(rgb.buffer as ArrayBuffer);
    },
  });
  t.after(() => reader.close());
  // ffmpeg listens only once its input is open: the reader keeps trying meanwhile
  await new Promise((r) => setTimeout(r, 150));
  let written = 0;
  const server = createServer((sock) => {
    sock.on('error', () => {});
    // in odd pieces, as a stream arrives: a piece may end a frame and begin the next
    const write = () => {
      if (written >= stream.length) return sock.end();
      const piece = stream.subarray(written, Math.min(stream.length, written + 7));
      written += piece.length;
      sock.write(piece, write);
    };
    write();
  });
  t.after(() => server.close());
  await new Promise<void>((r) => server.listen(path, r));
  await waitFor('ffmpeg writes', () => written > 0, 5000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(frames.length, 0, 'nothing is taken for a frame before its size is known');
  reader.size(frameBytes);
  await waitFor('five frames', () => frames.length >= 5, 5000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(frames.length, 5, 'the 5 bytes left over wait for the rest of their frame');
  frames.forEach((f, i) => assert.deepEqual(f, stream.subarray(i * frameBytes, (i + 1) * frameBytes), `frame ${i}`));
  assert.ok(seen.size <= 2, `frames are read into the buffers handed back: ${seen.size} ArrayBuffers for 5 frames`);
});

test("ffmpeg's log gives the output frame size and keeps only warnings and errors for the exit message", () => {
  const log = new FfmpegLog();
  log.push("[info] Input #0, concat, from 'pipe:3':\n[info]   Stream #0:0: Video: mjpeg, yuvj420p, 1920x1080, 5 fps\n");
  assert.equal(log.size, null, 'the input size is not the output size');
  log.push(
    "[info] Output #0, rawvideo, to 'pipe:1':\n[info]   Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb",
  );
  log.push(
    '24(pc, gbr/unknown/unknown, progressive), 1280x720, q=2-31, 5 fps\n[error] [rtsp @ 0x1] method DESCRIBE failed: 401\n',
  );
  assert.deepEqual(log.size, { width: 1280, height: 720 });
  assert.equal(log.tail(), '[rtsp @ 0x1] method DESCRIBE failed: 401');
  assert.equal(log.hardwareFailed, false);
  log.push('[error] Device creation failed: -542398533.\n');
  assert.equal(log.hardwareFailed, true);
});

test("ffmpeg writes raw RGB to the gateway's socket at the detection size and rate, decodes in hardware where told, and keyframes only where asked", () => {
  const base = { url: 'rtsp://10.0.0.7/live', fps: 5, stallSeconds: 10 };
  const joined = (src: Parameters<typeof ffmpegInput>[0], o = {}) =>
    ffmpegInput(src, '/data/rtsp/0.sock', o).args.join(' ');
  assert.match(
    joined(base),
    /-hwaccel auto .*-vf fps=5,scale='min\(1280,iw\)':-2:flags=fast_bilinear,format=yuv420p,scale=flags=fast_bilinear,format=rgb24 -f rawvideo -listen 1 unix:\/data\/rtsp\/0\.sock$/,
  );
  assert.doesNotMatch(joined(base), /mjpeg/, 'no JPEG is made on the way in');
  assert.match(joined({ ...base, detect: { width: 640 } }), /scale=640:-2:/);
  assert.match(joined({ ...base, detect: { width: 640, height: 360 } }), /scale=640:360:/);
  assert.match(joined({ ...base, hwaccel: 'v4l2m2m' }), /-c:v h264_v4l2m2m .*-i pipe:3/);
  assert.match(joined({ ...base, hwaccel: 'vaapi' }), /-hwaccel vaapi .*-i pipe:3/);
  assert.doesNotMatch(joined({ ...base, hwaccel: 'vaapi' }, { software: true }), /hwaccel|v4l2m2m/);
  const kf = joined({ ...base, fps: 0.5, keyframesOnly: true });
  assert.match(
    kf,
    /-skip_frame nokey .*-i pipe:3 .*-fps_mode passthrough -vf select='isnan\(prev_selected_t\)\+gte\(t-prev_selected_t,2\.000\)'/,
  );
});

test(
  'an RTSP camera behind a password: frames are pulled, redacted and decided like any camera, and the password appears nowhere',
  { skip: NO_SIM ?? false },
  async (t) => {
    const frames = await photoFrames();
    const sim = await startRtspCameraSim({ frames, fps: 5, username: 'admin', password: PASSWORD });
    const logLines: string[] = [];
    const h = await startHarness({
      logLines,
      cameras: { 'pole-cam': { source: sim.url, username: 'admin', password: PASSWORD, fps: 4 } },
    });
    t.after(async () => {
      await h.stop();
      await sim.stop();
    });
    await waitFor(
      'frames from the RTSP camera redacted',
      () => (h.gateway.ingest.health()['pole-cam']?.processed ?? 0) >= 4,
      30_000,
    );
    const cmdlines = ffmpegCommandLines();
    assert.ok(cmdlines.length >= 1, 'ffmpeg runs');
    for (const c of cmdlines)
      assert.ok(
        !c.includes('se:cr') && !c.includes('se%3A') && !c.includes('127.0.0.1'),
        `credentials or URL on a command line: ${c}`,
      );
    const s = (await (
      await fetch(`http://127.0.0.1:${h.gateway.httpAddress!.port}/status.json`)
    ).json()) as GatewayStatus;
    const cam = s.devices.find((d) => d.id === 'pole-cam');
    assert.equal(cam?.kind, 'camera (rtsp)');
    assert.equal(cam?.online, true);
    const sockets = join(h.gateway.cfg.dataDir, 'rtsp');
    assert.equal(
      statSync(sockets).mode & 0o777,
      0o700,
      'the frames socket is in a directory only the gateway can open',
    );
    assert.deepEqual(readdirSync(sockets), ['0.sock']);
    await h.gateway.recordWindowsNow();
    const faces =
      (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'), 'pole-cam')).redactions['pole-cam']?.face ?? 0;
    assert.ok(faces >= 1, 'faces in the stream were found and redacted');
    await h.gateway.stop();
    assert.deepEqual(ffmpegCommandLines(), [], 'ffmpeg is stopped with the gateway');
    assert.deepEqual(readdirSync(sockets), [], 'the socket is gone with ffmpeg');
    for (const text of [logLines.join(''), readFileSync(join(h.gateway.cfg.dataDir, 'audit', 'audit.jsonl'), 'utf8')]) {
      assert.ok(!text.includes('se:cr') && !text.includes('se%3A'), 'the password is in a log or the audit log');
    }
  },
);

test(
  'ffmpeg killed while streaming: the socket it left is replaced, any part frame is dropped, and the frames after it are whole and redacted',
  { skip: NO_SIM ?? false },
  async (t) => {
    const frames = await photoFrames();
    const sim = await startRtspCameraSim({ frames, fps: 5 });
    const h = await startHarness({ cameras: { 'pole-cam': { source: sim.url, fps: 4 } } });
    t.after(async () => {
      await h.stop();
      await sim.stop();
    });
    const cam = h.gateway.rtsp[0]!;
    const processed = () => h.gateway.ingest.health()['pole-cam']?.processed ?? 0;
    const faces = async () => {
      await h.gateway.recordWindowsNow();
      return (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'), 'pole-cam')).redactions['pole-cam']?.face ?? 0;
    };
    await waitFor('frames before the kill', () => processed() >= 3, 30_000);
    const before = await faces();
    // as a power glitch or the OOM killer would: no chance to remove its socket or finish its frame
    for (const c of ffmpegChildren()) process.kill(c.pid, 'SIGKILL');
    await waitFor('ffmpeg started again', () => cam.stats.starts >= 2, 20_000);
    const framesAtRestart = cam.stats.frames;
    await waitFor('frames after the restart', () => cam.stats.frames >= framesAtRestart + 4, 30_000);
    await h.gateway.ingest.idle();
    assert.ok((cam.stats.problems.RTSP_EXITED ?? 0) >= 1, `the kill is counted: ${JSON.stringify(cam.stats.problems)}`);
    const after = await faces();
    // a frame cut out of place would not show the astronaut's face where a detector finds it
    assert.ok(after >= before + 1, `faces redacted after the restart: ${after - before}`);
    assert.deepEqual(readdirSync(join(h.gateway.cfg.dataDir, 'rtsp')), ['0.sock']);
  },
);

test(
  'a wrong RTSP password: the refusal is counted and retried with back-off, and the password is not logged',
  { skip: NO_SIM ?? false },
  async (t) => {
    const frames = [await sharp(join(PHOTOS, 'coffee.png')).resize(320, 240).jpeg().toBuffer()];
    const sim = await startRtspCameraSim({ frames, fps: 5, username: 'admin', password: PASSWORD });
    const logLines: string[] = [];
    const h = await startHarness({
      logLines,
      cameras: { 'pole-cam': { source: sim.url, username: 'admin', password: 'wrong-horse', fps: 2 } },
    });
    t.after(async () => {
      await h.stop();
      await sim.stop();
    });
    await waitFor('two refusals', () => (h.gateway.rtsp[0]!.stats.problems.RTSP_EXITED ?? 0) >= 2, 20_000);
    assert.equal(h.gateway.rtsp[0]!.stats.frames, 0);
    const logs = logLines.join('');
    assert.match(logs, /RTSP_EXITED/);
    assert.match(logs, /401/);
    assert.ok(!logs.includes('wrong-horse'), 'the password is not logged');
  },
);

/** A TCP "camera" that misbehaves: never answers, answers garbage, or hangs up at once. */
async function hostileSource(
  kind: 'stall' | 'garbage' | 'close',
): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    sock.on('error', () => {});
    if (kind === 'close') sock.destroy();
    else if (kind === 'garbage')
      sock.once('data', () => sock.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))));
    // stall: read the request, answer nothing
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `rtsp://127.0.0.1:${(server.address() as AddressInfo).port}/stream`,
    server,
    connections: () => connections,
  };
}

test(
  'RTSP sources that stall, send garbage or hang up are restarted with back-off, counted, and the gateway keeps serving its devices',
  { skip: NO_FFMPEG ?? false },
  async (t) => {
    const sources = {
      stall: await hostileSource('stall'),
      garbage: await hostileSource('garbage'),
      close: await hostileSource('close'),
    };
    const h = await startHarness({
      cameras: Object.fromEntries(
        Object.entries(sources).map(([kind, s]) => [`cam-${kind}`, { source: s.url, fps: 2, stallSeconds: 2 }]),
      ),
    });
    t.after(async () => {
      await h.stop();
      for (const s of Object.values(sources)) s.server.close();
    });
    const secret = await h.gateway.registry.add('door-1', 'sensor');
    const door = await connectDevice({ url: h.brokerUrl, deviceId: 'door-1', secret });
    t.after(() => door.endAsync(true));
    const started = Date.now();
    await waitFor(
      'every bad source refused at least twice',
      () => h.gateway.rtsp.every((c) => c.stats.starts >= 2),
      30_000,
    );
    // meanwhile a sensor is served as usual
    for (let n = 0; n < 5; n++)
      await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
    await waitFor(
      'the sensor events upstream',
      () => h.upstream.filter((r) => r.topic.endsWith('/door-1/door')).length >= 5,
    );
    const seconds = (Date.now() - started) / 1000;
    for (const c of h.gateway.rtsp) {
      const problems = Object.values(c.stats.problems).reduce((a, b) => a + (b ?? 0), 0);
      assert.ok(problems >= 1, `${c.id}: ${JSON.stringify(c.stats.problems)}`);
      assert.equal(c.stats.frames, 0);
      // back-off: at most one start per half second on average, however fast the source fails
      assert.ok(
        c.stats.starts <= seconds * 2 + 2,
        `${c.id} started ${c.stats.starts} times in ${seconds.toFixed(1)} s`,
      );
    }
    const stalled = h.gateway.rtsp.find((c) => c.id === 'cam-stall')!;
    assert.ok((stalled.stats.problems.RTSP_STALLED ?? 0) + (stalled.stats.problems.RTSP_EXITED ?? 0) >= 1);
    await h.gateway.recordWindowsNow();
    const audited = sum(
      (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).refused.filter((r) => r.channel === 'rtsp'),
    );
    assert.ok(audited >= 3, `${audited} RTSP interruptions audited`);
  },
);

test(
  'an RTSP camera serving real CCTV (vtest.avi): the heads of the people walking past are redacted on the gateway',
  { skip: NO_SIM ?? vtestMissing() ?? false },
  async (t) => {
    const frames = await loadVideoFrames(VTEST, { every: 4, count: 20 });
    const sim = await startRtspCameraSim({ frames, fps: 5 });
    const h = await startHarness({ cameras: { 'street-cam': { source: sim.url, fps: 2 } } });
    t.after(async () => {
      await h.stop();
      await sim.stop();
    });
    await waitFor(
      'frames from the CCTV stream redacted',
      () => (h.gateway.ingest.health()['street-cam']?.processed ?? 0) >= 4,
      60_000,
    );
    await h.gateway.recordWindowsNow();
    const heads =
      (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'), 'street-cam')).redactions['street-cam']?.head ?? 0;
    assert.ok(heads >= 4, `heads redacted: ${heads}`);
  },
);

test(
  'RTSP frames arrive raw at the configured detection size; a hardware decoder that fails falls back to software; keyframes only keeps to its rate',
  { skip: NO_SIM ?? false },
  async (t) => {
    const frames = await photoFrames();
    const sim = await startRtspCameraSim({ frames, fps: 5 });
    const logLines: string[] = [];
    const h = await startHarness({
      logLines,
      cameras: {
        'cam-small': { source: sim.url, fps: 2, detect: { width: 320 } },
        // this machine has no VA-API device: ffmpeg cannot set the decoder up
        'cam-hw': { source: sim.url, fps: 2, hwaccel: 'vaapi' },
        'cam-kf': { source: sim.url, fps: 1, keyframesOnly: true },
      },
    });
    t.after(async () => {
      await h.stop();
      await sim.stop();
    });
    const started = Date.now();
    const processed = (id: string) => h.gateway.ingest.health()[id]?.processed ?? 0;
    await waitFor(
      'frames from every camera redacted',
      () => ['cam-small', 'cam-hw', 'cam-kf'].every((id) => processed(id) >= 3),
      60_000,
    );
    const [small, hw, kf] = h.gateway.rtsp;
    assert.deepEqual(small!.stats.frameSize, { width: 320, height: 240 }, 'scaled once, in ffmpeg');
    assert.deepEqual(hw!.stats.frameSize, { width: 640, height: 480 }, 'the source size when it is under 1280 wide');
    assert.equal(hw!.stats.softwareFallback, true);
    assert.equal(hw!.stats.problems.RTSP_HWACCEL_FAILED, 1, JSON.stringify(hw!.stats.problems));
    assert.match(logLines.join(''), /RTSP_HWACCEL_FAILED[^\n]*vaapi/);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(kf!.stats.frames <= seconds + 2, `keyframes only at 1 fps: ${kf!.stats.frames} frames in ${seconds} s`);
    await h.gateway.recordWindowsNow();
    const faces = (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).redactions;
    for (const id of ['cam-small', 'cam-hw', 'cam-kf'])
      assert.ok((faces[id]?.face ?? 0) >= 1, `${id}: the astronaut's face is redacted on the raw path`);
  },
);

const NO_H264 = NO_FFMPEG ?? (await rtspSimMissing('h264'));
const NO_H265 = NO_FFMPEG ?? (await rtspSimMissing('h265'));

test(
  'H.264 and H.265 cameras, as most send: decoded by ffmpeg to raw frames and redacted; keyframes only decodes one frame a GOP',
  { skip: NO_H264 ?? NO_H265 ?? false },
  async (t) => {
    const frames = await photoFrames();
    const h264 = await startRtspCameraSim({ frames, fps: 5, codec: 'h264', gop: 10 });
    const h265 = await startRtspCameraSim({ frames, fps: 5, codec: 'h265', gop: 10 });
    const h = await startHarness({
      cameras: {
        'cam-h264': { source: h264.url, fps: 2 },
        'cam-h265': { source: h265.url, fps: 2 },
        'cam-keys': { source: h264.url, fps: 1, keyframesOnly: true },
      },
    });
    t.after(async () => {
      await h.stop();
      await h264.stop();
      await h265.stop();
    });
    const started = Date.now();
    const processed = (id: string) => h.gateway.ingest.health()[id]?.processed ?? 0;
    await waitFor(
      'frames from the H.264 and H.265 cameras redacted',
      () => processed('cam-h264') >= 4 && processed('cam-h265') >= 4 && processed('cam-keys') >= 2,
      60_000,
    );
    const [a, b, keys] = h.gateway.rtsp;
    for (const c of [a!, b!]) assert.deepEqual(c.stats.frameSize, { width: 640, height: 480 }, c.id);
    // a keyframe every 10 frames at 5 fps: one every 2 s, half the 1 fps asked for
    const seconds = (Date.now() - started) / 1000;
    assert.ok(
      keys!.stats.frames <= seconds / 2 + 2,
      `keyframes only: ${keys!.stats.frames} frames in ${seconds.toFixed(1)} s`,
    );
    await h.gateway.recordWindowsNow();
    const redactions = (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).redactions;
    for (const id of ['cam-h264', 'cam-h265', 'cam-keys'])
      assert.ok((redactions[id]?.face ?? 0) >= 1, `${id}: the astronaut's face is redacted`);
  },
);
