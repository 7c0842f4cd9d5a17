import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../image.ts';
import sharp from 'sharp';
import { closeUp } from './close-up.ts';

/** a 400x200 image whose red channel is x / 2 and green channel y: where a pixel came from can be read back */
function gradient(): RgbImage {
  const width = 400;
  const height = 200;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      data[(y * width + x) * 3] = x >> 1;
      data[(y * width + x) * 3 + 1] = y;
    }
  return { data, width, height } as unknown as RgbImage;
}

test('a close-up is the square three times a candidate face around it, and its boxes map back to the image', async () => {
  const img = gradient();
  // a 20 px face centred at (200, 100): the close-up holds x 170-230 and y 70-130
  const lb = await closeUp(img, { x1: 190 / 400, y1: 90 / 200, x2: 210 / 400, y2: 110 / 200 }, 128);
  assert.equal(lb.width, 128);
  assert.equal(lb.height, 128);
  const at = (x: number, y: number) => [lb.data[(y * 128 + x) * 3]!, lb.data[(y * 128 + x) * 3 + 1]!];
  const [r0, g0] = at(0, 0);
  const [r1, g1] = at(127, 127);
  assert.ok(Math.abs(r0! - 85) <= 1 && Math.abs(g0! - 70) <= 1, `top left from (170, 70), got r ${r0} g ${g0}`);
  assert.ok(Math.abs(r1! - 115) <= 1 && Math.abs(g1! - 130) <= 1, `bottom right from (230, 130), got r ${r1} g ${g1}`);
  const back = lb.unmap({ x1: 0, y1: 0, x2: 1, y2: 1 });
  assert.deepEqual(
    [back.x1 * 400, back.y1 * 200, back.x2 * 400, back.y2 * 200].map(Math.round),
    [170, 70, 230, 130],
    'the whole close-up maps back to where it was cut',
  );
});

test('a close-up of a face at the edge is moved inside the image, and is never larger than the image', async () => {
  const img = gradient();
  const edge = (await closeUp(img, { x1: 0.97, y1: 0.9, x2: 1, y2: 1 }, 128)).unmap({ x1: 0, y1: 0, x2: 1, y2: 1 });
  assert.ok(edge.x2 <= 1 && edge.y2 <= 1 && edge.x1 >= 0 && edge.y1 >= 0, `inside the image: ${JSON.stringify(edge)}`);
  assert.equal(Math.round(edge.x2 * 400), 400, 'against the right edge');
  const huge = (await closeUp(img, { x1: 0.2, y1: 0.1, x2: 0.8, y2: 0.9 }, 128)).unmap({ x1: 0, y1: 0, x2: 1, y2: 1 });
  assert.equal(Math.round((huge.y2 - huge.y1) * 200), 200, 'as high as the image, no higher');
});

test('a close-up gives the bytes sharp would: grown in JavaScript, at its own size or shrunk by sharp', async () => {
  const width = 300;
  const height = 200;
  const data = Buffer.alloc(width * height * 3);
  let seed = 3;
  for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 23;
  const img = { data, width, height } as unknown as RgbImage;
  for (const px of [7, 20, 42, 42.7, 60]) {
    const box = { x1: 0.4, y1: 0.4, x2: 0.4 + px / width, y2: 0.4 + px / height };
    const size = Math.round(3 * px);
    const left = Math.round(0.4 * width + px / 2 - size / 2);
    const top = Math.round(0.4 * height + px / 2 - size / 2);
    const expected = await sharp(data, { raw: { width, height, channels: 3 } })
      .extract({ left, top, width: size, height: size })
      .resize(128, 128, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const got = (await closeUp(img, box, 128)).data;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    assert.ok(worst <= 1, `a ${px} px candidate: the close-up differs from sharp's by up to ${worst} levels`);
  }
});
