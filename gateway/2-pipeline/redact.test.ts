import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { createVisionDetector, type Detector } from '../../models/index.ts';
import { VisionConfig } from '../foundation/config/schema.ts';
import { runPipeline, encodeRedacted, FrameError, type StageDeps } from './index.ts';
import { PHOTOS } from '../test/harness.ts';
import { changeInside, detailInside } from '../test/image-metrics.ts';
import { DEFAULT_VISION } from '../../policies/index.ts';

const vision = VisionConfig.parse({});
let detector: Detector;
const deps = (over: Partial<StageDeps> = {}): StageDeps => ({
  detector,
  redaction: DEFAULT_VISION.redact,
  maxPixels: 4096 * 4096,
  ...over,
});
/** The same redaction choice for every class. */
const every = (method: 'pixelate' | 'blur' | 'fill', strength = 1) => {
  const c = { method, strength, marginPercent: 20 };
  return { face: c, person: { ...c, region: 'head' as const }, text: c };
};

test.before(async () => {
  detector = await createVisionDetector(vision);
});
test.after(() => detector.close());

async function jpegOf(name: string): Promise<Buffer> {
  return sharp(join(PHOTOS, name)).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
}

for (const [photo, face] of [
  ['astronaut.png', { x1: 173, y1: 74, x2: 277, y2: 178 }],
  ['camera.png', { x1: 180, y1: 120, x2: 260, y2: 200 }],
] as const) {
  for (const method of ['pixelate', 'blur', 'fill'] as const) {
    test(`${photo}: the whole face region is changed beyond recognition by ${method}`, async () => {
      const jpeg = await jpegOf(photo);
      const { observation, ctx } = await runPipeline('cam', jpeg, deps({ redaction: every(method) }));
      assert.ok(observation.counts.face >= 1, 'a face was detected');
      const out = await encodeRedacted(ctx);
      const change = await changeInside(jpeg, out, face);
      assert.ok(change > 12, `face pixels changed by ${change.toFixed(1)} on average`);
      const before = await detailInside(jpeg, face);
      const after = await detailInside(out, face);
      assert.ok(
        after < before * 0.4,
        `detail in the face region fell from ${before.toFixed(1)} to ${after.toFixed(1)}`,
      );
    });
  }
}

test("a policy's higher redaction strength leaves less detail than the lowest, which is already unrecognisable", async () => {
  const face = { x1: 173, y1: 74, x2: 277, y2: 178 };
  const jpeg = await jpegOf('astronaut.png');
  const detail = async (method: 'pixelate' | 'blur', strength: number) => {
    const { ctx } = await runPipeline('cam', jpeg, deps({ redaction: every(method, strength) }));
    return detailInside(await encodeRedacted(ctx), face);
  };
  for (const method of ['pixelate', 'blur'] as const) {
    const [weak, strong] = [await detail(method, 1), await detail(method, 5)];
    assert.ok(strong < weak, `${method}: strength 5 detail ${strong.toFixed(2)} < strength 1 ${weak.toFixed(2)}`);
  }
});

for (const photo of ['coffee.png', 'chelsea.png']) {
  test(`${photo}: a photo without people is not redacted at the default thresholds`, async () => {
    const { observation } = await runPipeline('cam', await jpegOf(photo), deps());
    assert.equal(observation.counts.face, 0);
    assert.deepEqual(observation.redactions, {});
  });
}

test('without models every frame is withheld (fail closed)', async () => {
  await assert.rejects(
    runPipeline('cam', await jpegOf('astronaut.png'), deps({ detector: null })),
    (e: FrameError) => e.code === 'MODEL_UNAVAILABLE',
  );
});

test('a detector that throws withholds the frame instead of passing it on', async () => {
  const broken: Detector = {
    models: ['broken'],
    detect: () => Promise.reject(new Error('ORT exploded')),
    close: async () => {},
  };
  await assert.rejects(
    runPipeline('cam', await jpegOf('astronaut.png'), deps({ detector: broken })),
    (e: FrameError) => e.code === 'DETECT_FAILED',
  );
});

test('non-JPEG, truncated and oversized-in-pixels frames are refused with their own codes', async () => {
  const jpeg = await jpegOf('astronaut.png');
  await assert.rejects(
    runPipeline('cam', Buffer.from('hello'), deps()),
    (e: FrameError) => e.code === 'FRAME_NOT_JPEG',
  );
  await assert.rejects(
    runPipeline('cam', jpeg.subarray(0, jpeg.length / 3), deps()),
    (e: FrameError) => e.code === 'FRAME_UNDECODABLE',
  );
  await assert.rejects(
    runPipeline('cam', jpeg, deps({ maxPixels: 100 * 100 })),
    (e: FrameError) => e.code === 'FRAME_TOO_MANY_PIXELS',
  );
});

test('raw RGB frames (as ffmpeg hands RTSP frames over) are redacted like JPEGs, and a size that does not match the bytes is refused', async () => {
  const { data, info } = await sharp(join(PHOTOS, 'astronaut.png'))
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame = { rgb: Buffer.from(data), width: info.width, height: info.height };
  const { observation, ctx } = await runPipeline('cam', frame, deps());
  assert.ok((observation.redactions.face ?? 0) >= 1, JSON.stringify(observation.redactions));
  const face = { x1: 173, y1: 74, x2: 277, y2: 178 };
  const original = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
  const change = await changeInside(original, await encodeRedacted(ctx), face);
  assert.ok(change > 12, `face pixels changed by ${change.toFixed(1)} on average`);
  await assert.rejects(
    runPipeline('cam', { ...frame, rgb: frame.rgb.subarray(3) }, deps()),
    (e: FrameError) => e.code === 'FRAME_UNDECODABLE',
  );
  await assert.rejects(
    runPipeline('cam', frame, deps({ maxPixels: 1000 })),
    (e: FrameError) => e.code === 'FRAME_TOO_MANY_PIXELS',
  );
});
