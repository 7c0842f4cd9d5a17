import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { deviceTopic } from '../../devices/index.ts';
import {
  connectDevice,
  loadVideoFrames,
  rtspSimMissing,
  sampleEvent,
  startRtspCameraSim,
} from '../../simulators/index.ts';
import { VTEST, vtestMissing } from '../../fixtures/vtest.ts';
import { sum, tallyAudit } from '../test/audit-tally.ts';
import type { GatewayStatus } from '../http/index.ts';
import { PHOTOS, startHarness, waitFor } from '../test/harness.ts';
import { ffmpegInput, JpegSplitter, sanitizeFfmpegMessage } from './index.ts';

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

/** The command lines of every running ffmpeg: what `ps` shows any user on the box. */
function ffmpegCommandLines(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (/(^|\/)ffmpeg /.test(cmd)) out.push(cmd);
    } catch {
      /* gone */
    }
  }
  return out;
}

test('ffmpeg is told the stream on fd 3, never on its command line; its messages lose the credentials', () => {
  const src = { url: 'rtsp://10.0.0.7:554/live', username: 'admin', password: PASSWORD, fps: 2, stallSeconds: 10 };
  const { args, script } = ffmpegInput(src);
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

test('the JPEG splitter cuts whole frames out of any chunking and bounds what it holds', () => {
  const a = Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0x00, 3, 0xff, 0xd9]);
  const b = Buffer.from([0xff, 0xd8, 9, 0xff, 0xd9]);
  const all = Buffer.concat([Buffer.from([7, 7]), a, b]);
  const s = new JpegSplitter(1024);
  const frames = [...all].flatMap((byte) => s.push(Buffer.from([byte])));
  assert.deepEqual(frames, [a, b]);
  const small = new JpegSplitter(8);
  assert.deepEqual(small.push(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(20)])), []);
  assert.equal(small.oversized, 1);
});

test(
  'an RTSP camera behind a password: frames are pulled, redacted and decided like any camera, and the password appears nowhere',
  { skip: NO_SIM ?? false },
  async (t) => {
    const frames = await Promise.all(
      ['astronaut.png', 'coffee.png'].map((f) =>
        sharp(join(PHOTOS, f)).resize(640, 480, { fit: 'cover' }).jpeg().toBuffer(),
      ),
    );
    const sim = await startRtspCameraSim({ frames, fps: 5, username: 'admin', password: PASSWORD });
    const logLines: string[] = [];
    const h = await startHarness({
      logLines,
      cameras: [{ id: 'pole-cam', url: sim.url, username: 'admin', password: PASSWORD, fps: 4 }],
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
    await h.gateway.recordWindowsNow();
    const faces =
      (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'), 'pole-cam')).redactions['pole-cam']?.face ?? 0;
    assert.ok(faces >= 1, 'faces in the stream were found and redacted');
    await h.gateway.stop();
    assert.deepEqual(ffmpegCommandLines(), [], 'ffmpeg is stopped with the gateway');
    for (const text of [logLines.join(''), readFileSync(join(h.gateway.cfg.dataDir, 'audit', 'audit.jsonl'), 'utf8')]) {
      assert.ok(!text.includes('se:cr') && !text.includes('se%3A'), 'the password is in a log or the audit log');
    }
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
      cameras: [{ id: 'pole-cam', url: sim.url, username: 'admin', password: 'wrong-horse', fps: 2 }],
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
      cameras: Object.entries(sources).map(([kind, s]) => ({ id: `cam-${kind}`, url: s.url, fps: 2, stallSeconds: 2 })),
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
    const h = await startHarness({ cameras: [{ id: 'street-cam', url: sim.url, fps: 2 }] });
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
