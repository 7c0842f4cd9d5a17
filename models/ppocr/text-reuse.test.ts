import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Box, Detection } from '../image.ts';
import { rgb } from '../test/photos.ts';
import { createTextDetector, type TextDetector } from './detector.ts';
import { TextReuse } from './text-reuse.ts';

let text: TextDetector;
before(async () => {
  text = await createTextDetector({ threshold: 0.6 });
});
after(() => text.close());

const W = 768;
const H = 576;
/** the parked car's box, as the SSD would give it (normalized) */
const CAR: Box = { x1: 200 / W, y1: 300 / H, x2: 560 / W, y2: 500 / H };

/** A street frame: a grey car with a number plate at `plateX`, rendered and JPEG-encoded like a camera frame. */
async function street(o: { plate?: string; plateX?: number; quality?: number } = {}) {
  const x = o.plateX ?? 290;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="#9aa0a0"/>
    <rect x="200" y="300" width="360" height="200" rx="30" fill="#4a5058"/>
    <rect x="${x}" y="430" width="180" height="44" fill="#f4f4f0" stroke="#222" stroke-width="2"/>
    <text x="${x + 90}" y="463" font-family="DejaVu Sans Mono, monospace" font-size="30" font-weight="bold" text-anchor="middle" fill="#111">${o.plate ?? 'KX19 ZPD'}</text>
  </svg>`;
  return rgb(
    await sharp(Buffer.from(svg))
      .jpeg({ quality: o.quality ?? 90 })
      .toBuffer(),
  );
}

/** PP-OCR, counting how often it really runs */
function counted() {
  const calls: Box[] = [];
  return {
    calls,
    detect: (img: Awaited<ReturnType<typeof street>>) => (area: Box) => (calls.push(area), text.detect(img, [area])),
  };
}

const centre = (d: Detection) => ({ x: (d.box.x1 + d.box.x2) / 2, y: (d.box.y1 + d.box.y2) / 2 });
const onPlate = (found: Detection[], plateX: number) =>
  found.some(
    (d) => centre(d).x * W > plateX && centre(d).x * W < plateX + 180 && centre(d).y * H > 430 && centre(d).y * H < 474,
  );

test('a parked car in a still scene keeps its plate redacted without running PP-OCR again', async () => {
  const reuse = new TextReuse();
  const ocr = counted();
  const first = await street();
  const found = await reuse.find('cam-1', first, [CAR], ocr.detect(first));
  assert.ok(onPlate(found, 290), 'the plate is found');
  // the same scene, encoded again (different JPEG noise), and a box jittered inside the searched area
  const again = await street({ quality: 80 });
  const jittered: Box = { x1: CAR.x1 + 0.004, y1: CAR.y1 - 0.003, x2: CAR.x2 + 0.005, y2: CAR.y2 };
  assert.deepEqual(await reuse.find('cam-1', again, [jittered], ocr.detect(again)), found);
  assert.equal(ocr.calls.length, 1, 'PP-OCR ran once');
  assert.deepEqual(reuse.stats, { detected: 1, reused: 1 });
});

test('PP-OCR runs again when the pixels of the area change, and finds the plate where it now is', async () => {
  const reuse = new TextReuse();
  const ocr = counted();
  const first = await street();
  await reuse.find('cam-1', first, [CAR], ocr.detect(first));
  // another car in the same spot: same box, plate further right
  const other = await street({ plate: 'LM07 XYA', plateX: 360 });
  const found = await reuse.find('cam-1', other, [CAR], ocr.detect(other));
  assert.equal(ocr.calls.length, 2);
  assert.ok(onPlate(found, 360), `the moved plate is found: ${JSON.stringify(found.map((d) => d.box))}`);
});

test('a vehicle box reaching beyond what PP-OCR searched, another camera, or the refresh interval runs PP-OCR', async () => {
  const reuse = new TextReuse();
  const ocr = counted();
  const img = await street();
  await reuse.find('cam-1', img, [CAR], ocr.detect(img));
  const wider: Box = { ...CAR, x2: Math.min(1, CAR.x2 + 0.1) };
  await reuse.find('cam-1', img, [wider], ocr.detect(img));
  assert.equal(ocr.calls.length, 2, 'an area not searched before');
  await reuse.find('cam-2', img, [wider], ocr.detect(img));
  assert.equal(ocr.calls.length, 3, 'each camera is its own scene');
  for (let i = 0; i < 25; i++) await reuse.find('cam-1', img, [wider], ocr.detect(img));
  assert.equal(ocr.calls.length, 3, 'reused while nothing changes');
  await reuse.find('cam-1', img, [wider], ocr.detect(img));
  assert.equal(ocr.calls.length, 4, 'looked at again after 25 reuses');
});

test('a frame of another size is a new scene', async () => {
  const reuse = new TextReuse();
  const ocr = counted();
  const img = await street();
  await reuse.find('cam-1', img, [CAR], ocr.detect(img));
  const small = await rgb(
    await sharp(img.data, { raw: { width: W, height: H, channels: 3 } })
      .resize(384, 288)
      .jpeg()
      .toBuffer(),
  );
  await reuse.find('cam-1', small, [CAR], ocr.detect(small));
  assert.equal(ocr.calls.length, 2);
});
