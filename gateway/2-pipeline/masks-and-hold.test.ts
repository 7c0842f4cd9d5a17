import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Detector } from '../../models/index.ts';
import { defaultDetector } from '../test/vision-detector.ts';
import { PHOTOS } from '../test/harness.ts';
import { MotionGate, RegionHold, runPipeline, type StageDeps } from './index.ts';

const FACE = { x1: 173, y1: 74, x2: 277, y2: 178 }; // astronaut.png, 512x512
const vision = defaultDetector();
const deps = (over: Partial<StageDeps> = {}): StageDeps => vision.deps({ maxPixels: 4096 * 4096, ...over });
const jpegOf = (name: string) =>
  sharp(join(PHOTOS, name)).resize(512, 512, { fit: 'cover' }).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();

/** Mean difference between horizontal neighbours inside the face box of a raw RGB image. */
function detail(img: { data: Buffer; width: number }): number {
  let sum = 0;
  let n = 0;
  for (let y = FACE.y1; y < FACE.y2; y++) {
    for (let x = FACE.x1; x < FACE.x2 - 1; x++) {
      const i = (y * img.width + x) * 3;
      sum += Math.abs(img.data[i]! - img.data[i + 3]!);
      n++;
    }
  }
  return sum / n;
}

test('a privacy mask is filled before the detectors look: the face behind it is neither seen nor left visible', async () => {
  const square = [
    [FACE.x1 / 512, FACE.y1 / 512],
    [FACE.x2 / 512, FACE.y1 / 512],
    [FACE.x2 / 512, FACE.y2 / 512],
    [FACE.x1 / 512, FACE.y2 / 512],
  ] as const;
  const { observation, ctx } = await runPipeline(
    'cam-1',
    await jpegOf('astronaut.png'),
    deps({ masksFor: (id) => (id === 'cam-1' ? [square] : []) }),
  );
  assert.equal(observation.counts.face, 0, 'the masked face was never detected');
  assert.equal(observation.redactions.mask, 1);
  assert.equal(observation.redactionMethods.mask, 'fill');
  assert.equal(observation.redactions.face, undefined);
  // the fill (grey 96); the person's head region, pixelated over it, only smears its edges
  const img = ctx.image!;
  let filled = 0;
  let samples = 0;
  for (let y = FACE.y1 + 1; y < FACE.y2 - 1; y += 7) {
    for (let x = FACE.x1 + 1; x < FACE.x2 - 1; x += 7, samples++)
      if (img.data[(y * img.width + x) * 3] === 96) filled++;
  }
  assert.ok(filled > samples * 0.4, `${filled} of ${samples} sampled pixels are the mask's fill`);
  assert.ok(detail(img) < 3, `no detail left where the face was: ${detail(img)}`);
  const other = await runPipeline(
    'cam-2',
    await jpegOf('astronaut.png'),
    deps({ masksFor: (id) => (id === 'cam-1' ? [square] : []) }),
  );
  assert.equal(other.observation.counts.face, 1, 'masks belong to their camera');
});

test('a face redacted in one frame stays redacted for holdFrames more frames of that camera, then is released', async () => {
  const hold = new RegionHold(2);
  const d = deps({ hold });
  const first = await runPipeline('cam-1', await jpegOf('astronaut.png'), d);
  assert.equal(first.observation.redactions.face, 1);
  // the face, and the head of the astronaut's person box
  const regions = first.ctx.regions.length;
  assert.ok(regions >= 1);
  // the next frames show no face the detector can find: the region is still obscured
  const blank = await jpegOf('coffee.png');
  const plain = await runPipeline('cam-plain', blank, deps());
  for (let i = 0; i < 2; i++) {
    const next = await runPipeline('cam-1', blank, d);
    assert.equal(next.observation.counts.face, 0);
    assert.equal(next.observation.redactions.held, regions, `frame ${i + 2} holds the regions`);
    assert.ok(detail(next.ctx.image!) < detail(plain.ctx.image!) * 0.5, 'and the held region is obscured');
  }
  const released = await runPipeline('cam-1', blank, d);
  assert.deepEqual(released.observation.redactions, {}, 'after holdFrames the region is released');
  const otherCamera = await runPipeline('cam-2', blank, d);
  assert.deepEqual(otherCamera.observation.redactions, {}, 'a hold belongs to its camera');
});

test('the motion gate skips detection while nothing moves, keeps redacting where it did, and detects again on movement and every refreshFrames', async () => {
  let calls = 0;
  const counting: Detector = {
    models: vision.detector().models,
    detect: (img) => (calls++, vision.detector().detect(img)),
    close: async () => {},
  };
  const gate = new MotionGate(2, 3);
  const d = deps({ detector: counting, motion: gate });
  const face = await jpegOf('astronaut.png');
  const cup = await jpegOf('coffee.png');
  const first = await runPipeline('cam-1', face, d);
  assert.equal(calls, 1);
  assert.equal(first.observation.redactions.face, 1);
  const still = await runPipeline('cam-1', face, d);
  assert.equal(calls, 1, 'an unchanged frame is not run through the detector');
  assert.equal(still.observation.redactions.face, 1, 'but its face is redacted where it was');
  assert.ok(
    Math.abs(detail(still.ctx.image!) - detail(first.ctx.image!)) < 0.5,
    'obscured exactly as the detected frame was',
  );
  await runPipeline('cam-1', face, d);
  assert.equal(calls, 1);
  await runPipeline('cam-1', face, d);
  assert.equal(calls, 2, 'every refreshFrames frames the detector runs anyway');
  const moved = await runPipeline('cam-1', cup, d);
  assert.equal(calls, 3, 'a changed frame is detected again');
  assert.equal(moved.observation.counts.face, 0);
  await runPipeline('cam-2', cup, d);
  assert.equal(calls, 4, 'each camera has its own reference frame');
  assert.deepEqual(gate.stats, { detected: 4, reused: 2 });
});
