import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headBand } from './head-band.ts';

test("a person's head band is the top quarter of a standing person, half the width of a wide one, never more than the box", () => {
  const px = (b: { x1: number; y1: number; x2: number; y2: number }) =>
    [b.x1 * 1000, b.y1 * 500, b.x2 * 1000, b.y2 * 500].map((v) => Math.round(v));
  // 40 x 200 px standing: the top 50 px
  assert.deepEqual(px(headBand({ x1: 0.1, y1: 0.2, x2: 0.14, y2: 0.6 }, 1000, 500)), [100, 100, 140, 150]);
  // 200 x 200 px (head and shoulders): half the width, 100 px
  assert.deepEqual(px(headBand({ x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.6 }, 1000, 500)), [100, 100, 300, 200]);
  // 300 x 50 px (lying down, or a bad box): the whole box
  assert.deepEqual(px(headBand({ x1: 0.1, y1: 0.2, x2: 0.4, y2: 0.3 }, 1000, 500)), [100, 100, 400, 150]);
});
