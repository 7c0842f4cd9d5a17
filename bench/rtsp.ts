import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import { createVisionDetector } from '../models/index.ts';
import { DEFAULT_VISION } from '../policies/index.ts';
import { VisionConfig } from '../gateway/foundation/config/index.ts';
import { MAX_FRAME_PIXELS, runPipeline, type RawFrame } from '../gateway/2-pipeline/index.ts';
import { FfmpegLog, ffmpegInput, RawFrameSplitter } from '../gateway/1-inputs/rtsp/index.ts';
import { rtspSimMissing, startRtspCameraSim } from '../simulators/index.ts';
import { vtestFrames, vtestMissing } from '../fixtures/vtest.ts';
import { MjpegSplitter } from './mjpeg-splitter.ts';

const SECONDS = 15;
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

/**
 * Runs one ingest path on the stream for SECONDS: ffmpeg with the given arguments, its output
 * handled in this process by `consume`. CPU of both is measured, not wall time.
 */
async function measure(
  args: string[],
  script: string | null,
  consume: (chunk: Buffer, log: FfmpegLog) => Promise<number> | number,
): Promise<PathCost> {
  const p: ChildProcess = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const control = p.stdio[3] as Writable;
  control.on('error', () => {});
  control.end(script ?? '');
  const log = new FfmpegLog();
  p.stderr!.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  let frames = 0;
  let queue = Promise.resolve();
  p.stdout!.on('data', (chunk: Buffer) => {
    queue = queue.then(async () => {
      frames += await consume(chunk, log);
    });
  });
  const node0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const ffmpegMs = processCpuMs(p.pid!);
  p.kill('SIGKILL');
  await queue;
  const node = process.cpuUsage(node0);
  return { frames, ffmpegMs, nodeMs: (node.user + node.system) / 1000 };
}

/** ffmpeg decoding the stream alone, to nothing: the floor every path pays. */
function floorArgs(url: string): string[] {
  return ['-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-an', '-f', 'null', '-'];
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

/**
 * `npm run bench rtsp`: what a camera's frames cost to get into the pipeline. A 1080p H.264 and a
 * 768x576 stream from the RTSP simulator, sampled at 5 fps, three ways side by side in one run:
 * ffmpeg decoding alone (the floor), the raw path (ffmpeg scales and writes RGB, cut into frames
 * here), and the MJPEG path as it was (ffmpeg encodes JPEGs, sharp decodes them). CPU of ffmpeg's
 * every thread and of this process, per sampled frame. Then the pipeline on those raw frames
 * (models, redaction, description) for the whole path.
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
  const clip = await vtestFrames(1, 100);
  const detector = await createVisionDetector(VisionConfig.parse({}));
  console.log('stream              path    frames  ffmpeg ms/f  node ms/f  total ms/f  over floor');
  for (const [name, width, height] of [
    ['1920x1080 H.264', 1920, 1080],
    ['768x576 H.264', 768, 576],
  ] as const) {
    const frames =
      width === 768
        ? clip
        : await Promise.all(clip.map((f) => sharp(f).resize(width, height).jpeg({ quality: 90 }).toBuffer()));
    // served at the rate it is analysed at: the simulator's own encoding shares this machine's two cores
    const sim = await startRtspCameraSim({ frames, fps: FPS, codec: 'h264', gop: 10 });
    try {
      const sampled = SECONDS * FPS;
      const floor = await measure(floorArgs(sim.url), null, () => 0);
      const floorMs = floor.ffmpegMs / sampled;
      const src = { url: sim.url, fps: FPS, stallSeconds: 10, hwaccel: 'none' };
      const { args, script } = ffmpegInput(src);
      let splitter: RawFrameSplitter | null = null;
      const rawFrames: RawFrame[] = [];
      const raw = await measure(args, script, (chunk, log) => {
        if (!log.size) throw new Error('ffmpeg wrote frames before their size');
        splitter ??= new RawFrameSplitter(log.size.width * log.size.height * 3);
        const out = splitter.push(chunk);
        for (const rgb of out) if (rawFrames.length < 10) rawFrames.push({ rgb, ...log.size });
        return out.length;
      });
      const jpegs = new MjpegSplitter();
      const mjpeg = await measure(mjpegArgs(sim.url), null, async (chunk) => {
        const out = jpegs.push(chunk);
        for (const j of out) await decodeJpeg(j);
        return out.length;
      });
      const rows = [
        ['floor', { frames: sampled, ffmpegMs: floor.ffmpegMs, nodeMs: 0 }],
        ['raw', raw],
        ['mjpeg', mjpeg],
      ] as const;
      const perFrame = (c: PathCost) => (c.ffmpegMs + c.nodeMs) / Math.max(1, c.frames);
      for (const [path, c] of rows) {
        const total = path === 'floor' ? floorMs : perFrame(c);
        console.log(
          `${name.padEnd(19)} ${path.padEnd(7)} ${String(c.frames).padEnd(7)} ${(c.ffmpegMs / Math.max(1, c.frames)).toFixed(1).padEnd(12)} ${(c.nodeMs / Math.max(1, c.frames)).toFixed(1).padEnd(10)} ${total.toFixed(1).padEnd(11)} ${path === 'floor' ? '' : (total - floorMs).toFixed(1)}`,
        );
      }
      const rawOver = perFrame(raw) - floorMs;
      const mjpegOver = perFrame(mjpeg) - floorMs;
      // the rest of the whole path: models, redaction and description on the raw frames, in this process
      const deps = { detector, redaction: DEFAULT_VISION.redact, maxPixels: MAX_FRAME_PIXELS };
      for (const f of rawFrames.slice(0, 2)) await runPipeline('bench', { ...f, rgb: Buffer.from(f.rgb) }, deps);
      const cpu0 = process.cpuUsage();
      for (const f of rawFrames) await runPipeline('bench', { ...f, rgb: Buffer.from(f.rgb) }, deps);
      const c = process.cpuUsage(cpu0);
      const pipelineMs = (c.user + c.system) / 1000 / rawFrames.length;
      const m0 = process.cpuUsage();
      for (const f of rawFrames) await detector.detect({ data: f.rgb, width: f.width, height: f.height });
      const m = process.cpuUsage(m0);
      const modelsMs = (m.user + m.system) / 1000 / rawFrames.length;
      const whole = floorMs + rawOver + pipelineMs;
      console.log(
        `${name}: raw ingest over the floor is ${((rawOver / mjpegOver) * 100).toFixed(0)}% of the MJPEG path's (target <= 20%); ` +
          `whole path ${whole.toFixed(1)} ms/frame = floor ${floorMs.toFixed(1)} + models ${modelsMs.toFixed(1)} + ${(whole - floorMs - modelsMs).toFixed(1)} (target <= 5 at 1080p); ` +
          `one camera at 5 fps: ${((whole * FPS) / 10).toFixed(0)}% of a core (MJPEG path: ${(((floorMs + mjpegOver + pipelineMs) * FPS) / 10).toFixed(0)}%)`,
      );
    } finally {
      await sim.stop();
    }
  }
  await detector.close();
}
