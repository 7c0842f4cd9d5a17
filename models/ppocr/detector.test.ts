import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Box } from '../image.ts';
import { rgb } from '../test/photos.ts';
import { createTextDetector, type TextDetector } from './detector.ts';

let text: TextDetector;
before(async () => {
  text = await createTextDetector({ threshold: 0.6 });
});
after(() => text.close());

const WHOLE: Box = { x1: 0, y1: 0, x2: 1, y2: 1 };

/** the detector may split a plate into words: the boxes must sit on the plate and span most of it */
function coversPlate(found: readonly { box: Box }[], plate: Box): boolean {
  const on = found.filter(({ box: b }) => {
    const cx = (b.x1 + b.x2) / 2;
    const cy = (b.y1 + b.y2) / 2;
    return cx > plate.x1 && cx < plate.x2 && cy > plate.y1 && cy < plate.y2;
  });
  if (on.length === 0) return false;
  const span = Math.max(...on.map((d) => d.box.x2)) - Math.min(...on.map((d) => d.box.x1));
  return span >= 0.6 * (plate.x2 - plate.x1);
}

/** a number plate as the renderer draws it: black characters on a white plate, on a grey car body */
async function plateImage(): Promise<{ jpeg: Buffer; plate: Box }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="240">
    <rect width="400" height="240" fill="#6b7076"/>
    <rect x="110" y="150" width="180" height="44" fill="#f4f4f0" stroke="#222" stroke-width="2"/>
    <text x="200" y="183" font-family="DejaVu Sans Mono, monospace" font-size="30" font-weight="bold" text-anchor="middle" fill="#111">KX19 ZPD</text>
  </svg>`;
  const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  return { jpeg, plate: { x1: 110 / 400, y1: 150 / 240, x2: 290 / 400, y2: 194 / 240 } };
}

test('finds the characters of a number plate', async () => {
  const { jpeg, plate } = await plateImage();
  const found = await text.detect(await rgb(jpeg), [WHOLE]);
  assert.ok(found.length >= 1, 'text found');
  assert.ok(found.every((d) => d.cls === 'text'));
  assert.ok(coversPlate(found, plate), `boxes on the plate: ${JSON.stringify(found.map((d) => d.box))}`);
});

test('looks only inside the areas it is given, and maps boxes back to the whole image', async () => {
  const { jpeg, plate } = await plateImage();
  const img = await rgb(jpeg);
  assert.deepEqual(await text.detect(img, [{ x1: 0, y1: 0, x2: 1, y2: 0.5 }]), [], 'nothing written in the top half');
  const lower = await text.detect(img, [{ x1: 0.2, y1: 0.5, x2: 0.8, y2: 1 }]);
  assert.ok(
    coversPlate(lower, plate),
    `found from a crop, in whole-image coordinates: ${JSON.stringify(lower.map((d) => d.box))}`,
  );
});

test('finds no text on the cat photo', async () => {
  assert.deepEqual(await text.detect(await rgb('chelsea.png'), [WHOLE]), []);
});
