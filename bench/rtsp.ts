import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import { createVisionDetector, type Detector } from '../models/index.ts';
import { DEFAULT_VISION } from '../policies/index.ts';
import { VisionConfig } from '../gateway/foundation/config/index.ts';
import {
  FrameBuffers,
  frameContext,
  MAX_FRAME_PIXELS,
  runPipeline,
  STAGES,
  type RawFrame,
} from '../gateway/2-pipeline/index.ts';
import { FfmpegLog, ffmpegInput, FrameSocket, type RtspSource } from '../gateway/1-inputs/rtsp/index.ts';
import { rtspSimMissing, startRtspCameraSim } from '../simulators/index.ts';
import { vtestFrames, vtestMissing } from '../fixtures/vtest.ts';
import { MjpegSplitter } from './mjpeg-splitter.ts';
import { median } from './percentile.ts';

const SECONDS = 10;
/** each path is measured this many times, the three in turn */
const ROUNDS = 3;
const WARMUP_SECONDS = 2;
const FPS = 5;
const TICK_MS = 1000 / 100; // USER_HZ: /proc/<pid>/stat counts CPU time in hundredths of a second

/** CPU time of a process and all its threads so far, in ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
}

interface PathCost {
  frames: number;
  ffmpegMs: number;
  nodeMs: number;
}

function startFfmpeg(args: string[], script: string | null): { p: ChildProcess; log: FfmpegLog } {
  const p: ChildProcess = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const control = p.stdio[3] as Writable;
  control.on('error', () => {});
  control.end(script ?? '');
  const log = new FfmpegLog();
  p.stderr!.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  return { p, log };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one ingest path on the stream: ffmpeg with the given arguments, its output read in this
 * process by what `attach` sets up, which counts the frames. CPU of both, not wall time, over
 * SECONDS from WARMUP_SECONDS after the first frame: a camera runs for months, its start is not its cost.
 */
async function measure(
  args: string[],
  script: string | null,
  attach: (p: ChildProcess, log: FfmpegLog) => Reading,
): Promise<PathCost> {
  const { p, log } = startFfmpeg(args, script);
  const reading = attach(p, log);
  for (const until = Date.now() + 30_000; reading.frames() === 0 && Date.now() < until;) await sleep(100);
  await sleep(WARMUP_SECONDS * 1000);
  const ffmpeg0 = processCpuMs(p.pid!);
  const frames0 = reading.frames();
  const node0 = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const ffmpegMs = processCpuMs(p.pid!) - ffmpeg0;
  const node = process.cpuUsage(node0);
  const frames = reading.frames() - frames0;
  p.kill('SIGKILL');
  await reading.done();
  return { frames, ffmpegMs, nodeMs: (node.user + node.system) / 1000 };
}

interface Reading {
  frames(): number;
  done(): Promise<void>;
}

/** The MJPEG path's reading: JPEGs cut out of ffmpeg's stdout and decoded by sharp, one after the other. */
function readJpegs(p: ChildProcess): Reading {
  const jpegs = new MjpegSplitter();
  let frames = 0;
  let queue = Promise.resolve();
  p.stdout!.on('data', (chunk: Buffer) => {
    queue = queue.then(async () => {
      for (const j of jpegs.push(chunk)) {
        await decodeJpeg(j);
        frames++;
      }
    });
  });
  return { frames: () => frames, done: () => queue };
}

/**
 * The raw path's reading as the gateway does it: frames from ffmpeg's socket into buffers that come
 * back (here at once; in the gateway when a frame worker is done). The first `count` frames are
 * copied into `keep`.
 */
function readRawFrames(path: string, log: FfmpegLog, p: ChildProcess, keep: RawFrame[] = [], count = 0): Reading {
  const buffers = new FrameBuffers();
  let frames = 0;
  const reader = new FrameSocket({
    path,
    take: (n) => buffers.take(n),
    frame: (rgb) => {
      frames++;
      if (keep.length < count) keep.push({ rgb: Buffer.from(rgb), ...log.size! });
      buffers.give(rgb.buffer as ArrayBuffer);
    },
  });
  p.stderr!.on('data', () => {
    if (log.size) reader.size(log.size.width * log.size.height * 3);
  });
  p.on('close', () => reader.close());
  return { frames: () => frames, done: async () => reader.close() };
}

/** Frames for the pipeline, from a run of their own: copying them out is no part of the ingest's cost. */
async function captureRawFrames(src: RtspSource, socket: string, count: number): Promise<RawFrame[]> {
  rmSync(socket, { force: true });
  const { args, script } = ffmpegInput(src, socket);
  const { p, log } = startFfmpeg(args, script);
  const keep: RawFrame[] = [];
  const reading = readRawFrames(socket, log, p, keep, count);
  for (const until = Date.now() + 30_000; keep.length < count && Date.now() < until;) await sleep(100);
  p.kill('SIGKILL');
  await reading.done();
  return keep;
}

/** ffmpeg decoding the stream alone, to nothing: the floor every path pays. */
function floorArgs(url: string): string[] {
  return [
    ...['-nostdin', '-loglevel', 'error', '-progress', 'pipe:1', '-stats_period', '1'],
    ...['-rtsp_transport', 'tcp', '-i', url, '-an', '-f', 'null', '-'],
  ];
}

/** The floor's frames: ffmpeg counts them in its progress lines (`frame=N`) on stdout. */
function countDecoded(p: ChildProcess): Reading {
  let frames = 0;
  p.stdout!.on('data', (d: Buffer) => {
    for (const m of d.toString('utf8').matchAll(/^frame=(\d+)$/gm)) frames = Number(m[1]);
  });
  return { frames: () => frames, done: async () => {} };
}

/** The ingest as it was before raw frames: ffmpeg encodes each sampled frame as a JPEG, sharp decodes it. */
function mjpegArgs(url: string): string[] {
  return [
    ...['-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-an'],
    ...['-vf', `fps=${FPS}`, '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2pipe', 'pipe:1'],
  ];
}

async function decodeJpeg(jpeg: Buffer): Promise<void> {
  await sharp(jpeg, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error', sequentialRead: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer();
}

interface StreamCosts {
  name: string;
  /** each the median of its path's per-frame cost over the rounds, less the floor's */
  floorMs: number;
  rawOver: number;
  mjpegOver: number;
  rawFrames: RawFrame[];
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

/**
 * The three ingest paths on one stream from the simulator, side by side, in ROUNDS rounds (this
 * machine is shared: a path measured once can fall on a busy minute); prints a row each.
 */
async function ingestCosts(name: string, frames: Buffer[]): Promise<StreamCosts> {
  // served at the rate it is analysed at: the simulator's own encoding shares this machine's two cores
  const sim = await startRtspCameraSim({ frames, fps: FPS, codec: 'h264', gop: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'veilgate-bench-rtsp-'));
  try {
    const src = { url: sim.url, fps: FPS, stallSeconds: 10, hwaccel: 'none' };
    const socket = join(dir, 'raw.sock');
    const { args, script } = ffmpegInput(src, socket);
    const perFrame = (c: PathCost) => (c.ffmpegMs + c.nodeMs) / Math.max(1, c.frames);
    const rounds: Array<{ floorMs: number; raw: number; mjpeg: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const floor = await measure(floorArgs(sim.url), null, (p) => countDecoded(p));
      const floorMs = floor.ffmpegMs / Math.max(1, floor.frames);
      rmSync(socket, { force: true }); // a killed ffmpeg leaves it, and would not listen on it again
      const raw = await measure(args, script, (p, log) => readRawFrames(socket, log, p));
      const mjpeg = await measure(mjpegArgs(sim.url), null, (p) => readJpegs(p));
      const rows = [
        ['floor', { ...floor, nodeMs: 0 }],
        ['raw', raw],
        ['mjpeg', mjpeg],
      ] as const;
      for (const [path, c] of rows) {
        const total = path === 'floor' ? floorMs : perFrame(c);
        const cells = [
          name.padEnd(19),
          String(round).padEnd(5),
          path.padEnd(7),
          String(c.frames).padEnd(7),
          (c.ffmpegMs / Math.max(1, c.frames)).toFixed(1).padEnd(12),
          (c.nodeMs / Math.max(1, c.frames)).toFixed(1).padEnd(10),
          total.toFixed(1).padEnd(11),
          path === 'floor' ? '' : (total - floorMs).toFixed(1),
        ];
        console.log(cells.join(' '));
      }
      rounds.push({ floorMs, raw: perFrame(raw), mjpeg: perFrame(mjpeg) });
    }
    const rawFrames = await captureRawFrames(src, socket, 20);
    // each path's median against the floor's: one round's busy floor would otherwise swing its share
    const of = (k: 'floorMs' | 'raw' | 'mjpeg') => median(rounds.map((r) => r[k]));
    const [floorMs, rawOver, mjpegOver] = [of('floorMs'), of('raw') - of('floorMs'), of('mjpeg') - of('floorMs')];
    const shares = rounds.map((r) => (r.raw - r.floorMs) / (r.mjpeg - r.floorMs));
    console.log(
      `${name}: raw ingest over the floor as a share of the MJPEG path's ${pct(rawOver / mjpegOver)} ` +
        `(medians of the rounds; each round's own: ${shares.map(pct).join(', ')}; target <= 20%)`,
    );
    return { name, floorMs, rawOver, mjpegOver, rawFrames };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rest of the whole path on a stream's raw frames, in this process: each stage timed on its
 * own, so that the models (the detect stage, with the resizing of their inputs) and the pipeline's
 * own work (checking, redacting, describing) are measured on the same frame, not subtracted.
 */
async function wholePath(s: StreamCosts, detector: Detector): Promise<void> {
  const deps = { detector, redaction: DEFAULT_VISION.redact, maxPixels: MAX_FRAME_PIXELS };
  const frames = s.rawFrames;
  const copy = (f: RawFrame): RawFrame => ({ ...f, rgb: Buffer.from(f.rgb) });
  for (const f of frames.slice(0, 2)) await runPipeline('bench', copy(f), deps); // warm-up
  let modelsMs = 0;
  let stagesMs = 0;
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  for (const f of frames) {
    const ctx = frameContext('bench', f); // redacted in place, as a frame worker does
    for (const stage of STAGES) {
      const c0 = process.cpuUsage();
      await stage.run(ctx, deps);
      const ms = cpuMs(process.cpuUsage(c0)) / frames.length;
      if (stage.name === 'detect') modelsMs += ms;
      else stagesMs += ms;
    }
  }
  const rest = s.rawOver + stagesMs;
  const whole = s.floorMs + modelsMs + rest;
  const mjpegWhole = s.floorMs + modelsMs + s.mjpegOver + stagesMs;
  console.log(
    `${s.name}: raw ingest over the floor is ${pct(s.rawOver / s.mjpegOver)} of the MJPEG path's (medians of the rounds; target <= 20%); ` +
      `whole path ${whole.toFixed(1)} ms/frame = floor ${s.floorMs.toFixed(1)} + models ${modelsMs.toFixed(1)} + ${rest.toFixed(1)} ` +
      `(ingest ${s.rawOver.toFixed(1)}, the other stages ${stagesMs.toFixed(1)}; target <= 5 at 1080p); ` +
      `one camera at 5 fps: ${((whole * FPS) / 10).toFixed(0)}% of a core (MJPEG path: ${((mjpegWhole * FPS) / 10).toFixed(0)}%)`,
  );
}

/**
 * `npm run bench rtsp`: what a camera's frames cost to get into the pipeline. A 1080p H.264 and a
 * 768x576 stream from the RTSP simulator, sampled at 5 fps, three ways in turn, three rounds:
 * ffmpeg decoding alone (the floor), the raw path (ffmpeg scales and writes RGB to a socket, read
 * into reused buffers here as the gateway does), and the MJPEG path as it was (ffmpeg encodes JPEGs,
 * sharp decodes them). CPU of ffmpeg's every thread and of this process, per sampled frame. The
 * models are loaded only after: in the gateway they live in the frame workers, not in the heap of
 * the thread that reads the frames. Then the pipeline on the raw frames for the whole path.
 */
export async function benchRtsp(): Promise<void> {
  console.log(
    '\n## rtsp: ingest cost per sampled frame (5 fps), raw frames against the MJPEG path, H.264 from the RTSP simulator',
  );
  const missing = vtestMissing() || (await rtspSimMissing('h264'));
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  console.log('stream              round path    frames  ffmpeg ms/f  node ms/f  total ms/f  over floor');
  const streams: StreamCosts[] = [];
  {
    const clip = await vtestFrames(1, 100);
    const hd = await Promise.all(clip.map((f) => sharp(f).resize(1920, 1080).jpeg({ quality: 90 }).toBuffer()));
    streams.push(await ingestCosts('1920x1080 H.264', hd));
    streams.push(await ingestCosts('768x576 H.264', clip));
  }
  const detector = await createVisionDetector(VisionConfig.parse({}));
  for (const s of streams) await wholePath(s, detector);
  await detector.close();
}
