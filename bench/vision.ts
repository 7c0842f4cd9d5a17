import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { vtestFrames, vtestMissing } from '../fixtures/vtest.ts';
import { VisionConfig } from '../gateway/foundation/config/index.ts';
import { InlineRunner, MotionGate, RegionHold, type FrameSettings } from '../gateway/2-pipeline/index.ts';
import { redactRegion } from '../gateway/2-pipeline/redact/methods.ts';
import { regionsFor } from '../gateway/2-pipeline/redact/regions.ts';
import {
  createBlazeface,
  createCocoSsd,
  createFaceDetector,
  createTextDetector,
  createVisionDetector,
  type Detector,
  type RgbImage,
} from '../models/index.ts';
import { DEFAULT_VISION } from '../policies/index.ts';
import { gatewayRss } from './gateway-rss.ts';
import { benchRobustness } from './robustness.ts';

const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;
const vision = VisionConfig.parse({});
const settings: FrameSettings = {
  redaction: DEFAULT_VISION.redact,
  maxPixels: 4096 * 4096,
  countThreshold: 0.5,
  snapshot: null,
  preview: null,
};

/** Consecutive real CCTV frames (vtest.avi) when opencv-doc is installed, else the test photos. */
async function clip(width: number, height: number, count: number): Promise<{ frames: Buffer[]; source: string }> {
  const raw = vtestMissing()
    ? readdirSync(PHOTOS)
        .filter((f) => f.endsWith('.png'))
        .map((f) => readFileSync(join(PHOTOS, f)))
    : await vtestFrames(1, count);
  const frames = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      sharp(raw[i % raw.length]!)
        .resize(width, height, { fit: 'cover' })
        .jpeg({ quality: 85 })
        .toBuffer(),
    ),
  );
  return { frames, source: vtestMissing() ? 'test photos (opencv-doc missing)' : 'vtest.avi' };
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
const middle = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

async function median(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return middle(times);
}

const decode = async (jpeg: Buffer): Promise<RgbImage> => {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};
const encode = (img: RgbImage) =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();

/**
 * Issue 4's targets, side by side in one run: the cost of each stage at 768x576 and 1280x720, the
 * whole pipeline against decode + encode alone (the part no redaction can avoid), a 768x576 stream
 * with the detector on every 5th frame, and the memory of a process with a frame worker.
 */
export async function benchVision(): Promise<void> {
  console.log('\n## vision: per-stage cost of a frame, real models, one thread each (medians, ms)');
  const parts: Array<[string, Detector]> = [
    ['BlazeFace 128', await createBlazeface({ variant: 'blazeface-front-128', threshold: vision.faceThreshold })],
    ['BlazeFace 256', await createBlazeface({ variant: 'blazeface-back-256', threshold: vision.farFaceThreshold })],
    [
      'faces, 1 resize',
      await createFaceDetector({ nearThreshold: vision.faceThreshold, farThreshold: vision.farFaceThreshold }),
    ],
    [
      'SSD int8',
      await createCocoSsd({
        personThreshold: vision.personThreshold,
        vehicleThreshold: vision.vehicleThreshold,
        model: 'ssd-mobilenet-v2-coco-int8',
      }),
    ],
    [
      'SSD float',
      await createCocoSsd({
        personThreshold: vision.personThreshold,
        vehicleThreshold: vision.vehicleThreshold,
        model: 'ssd-mobilenet-v2-coco',
      }),
    ],
  ];
  const text = await createTextDetector({ threshold: vision.textThreshold });
  const detector = await createVisionDetector(vision);
  const inline = new InlineRunner(detector);
  console.log(
    'frame      source     decode  motion  ' +
      parts.map(([n]) => n.padEnd(16)).join('') +
      'text in vehicles  redact  encode  | pipeline  dec+enc  ratio  CPU ratio fps/core',
  );
  for (const [w, h] of [
    [768, 576],
    [1280, 720],
  ] as const) {
    const { frames, source } = await clip(w, h, 20);
    const imgs = await Promise.all(frames.map(decode));
    const dets = await Promise.all(imgs.map((img) => detector.detect(img)));
    const gate = new MotionGate(vision.motion.threshold, vision.motion.refreshFrames);
    const tDecode = await median(20, (i) => decode(frames[i]!));
    // each frame against the one before it, as the gate sees a stream (reset so no refresh cuts it short)
    const motionTimes = imgs.slice(1).map((img, i) => {
      gate.detected('bench', imgs[i]!, dets[i]!);
      const t0 = performance.now();
      gate.reuse('bench', img);
      return performance.now() - t0;
    });
    const tMotion = middle(motionTimes);
    const tModels = [];
    for (const [, d] of parts) tModels.push(await median(20, (i) => d.detect(imgs[i]!)));
    const vehicles = (i: number) => dets[i]!.filter((d) => d.cls === 'vehicle').map((d) => d.box);
    const tText = await median(20, (i) => (vehicles(i).length ? text.detect(imgs[i]!, vehicles(i)) : null));
    const tRedact = await median(20, (i) => {
      const copy = { ...imgs[i]!, data: Buffer.from(imgs[i]!.data) };
      for (const r of regionsFor(dets[i]!, w, h, DEFAULT_VISION.redact)) redactRegion(copy, r);
    });
    const tEncode = await median(20, (i) => encode(imgs[i]!));
    // the ratio side by side, so the machine's load weighs on both sides alike: each frame's decode
    // and encode, then the same frame through the whole pipeline; three rounds
    // (CPU too: libvips and the two detectors' resizes use pool threads, so wall time alone flatters)
    const floorTimes: number[] = [];
    const wholeTimes: number[] = [];
    let floorCpu = 0;
    let wholeCpu = 0;
    for (let round = 0; round < 3; round++) {
      for (const f of frames) {
        let c0 = process.cpuUsage();
        let t0 = performance.now();
        await encode(await decode(f));
        floorTimes.push(performance.now() - t0);
        floorCpu += cpuMs(c0);
        c0 = process.cpuUsage();
        t0 = performance.now();
        await inline.run('bench', f, new Date(), settings);
        wholeTimes.push(performance.now() - t0);
        wholeCpu += cpuMs(c0);
      }
    }
    const tWhole = middle(wholeTimes);
    const floor = middle(floorTimes);
    const cpuRatio = wholeCpu / floorCpu;
    const cpuPerFrame = wholeCpu / wholeTimes.length;
    console.log(
      `${`${w}x${h}`.padEnd(10)} ${source.slice(0, 9).padEnd(10)} ${tDecode.toFixed(1).padEnd(7)} ${tMotion.toFixed(2).padEnd(7)} ${tModels.map((t) => t.toFixed(1).padEnd(16)).join('')}${tText.toFixed(1).padEnd(17)} ${tRedact.toFixed(1).padEnd(7)} ${tEncode.toFixed(1).padEnd(7)} | ${tWhole.toFixed(1).padEnd(9)} ${floor.toFixed(1).padEnd(8)} ${(tWhole / floor).toFixed(2).padEnd(6)} ${cpuRatio.toFixed(2).padEnd(10)}${(1000 / cpuPerFrame).toFixed(1)}`,
    );
  }
  console.log(
    'target: the whole pipeline at most 3x decode + encode when the detector runs on every frame (ratio: of median wall times; CPU ratio: of CPU time, every thread; fps/core from CPU time)',
  );

  // one 768x576 stream, in order, the detector on every 5th moving frame (vision.motion.detectEvery: 5)
  const { frames, source } = await clip(768, 576, 100);
  for (const every of [1, 5]) {
    const runner = new InlineRunner(detector, {
      motion: new MotionGate(vision.motion.threshold, vision.motion.refreshFrames, every),
      hold: new RegionHold(vision.holdFrames),
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const [i, f] of frames.entries()) await runner.run('stream', f, new Date(t0 + i * 100), settings);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `768x576 stream (${source}), detectEvery ${every}: ${((frames.length * 1000) / wall).toFixed(1)} fps, ${((cpu.user + cpu.system) / 1000 / frames.length).toFixed(1)} ms CPU per frame (target: at least 25 fps with detectEvery 5)`,
    );
  }
  for (const [, d] of parts) await d.close();
  await text.close();
  await detector.close();

  await benchRobustness();

  // the installed form (npm run build) and the sources through tsx, one after the other
  for (const form of ['bundled', 'sources'] as const) {
    const idle = await gatewayRss(frames, 100, form);
    console.log(
      `gateway process rss, ${form}: ${idle.start.toFixed(0)} MiB at start (models loaded in the frame worker), ${idle.end.toFixed(0)} MiB after ${idle.processed} frames at 5 fps; target under 300 MB (286 MiB)`,
    );
  }
}
