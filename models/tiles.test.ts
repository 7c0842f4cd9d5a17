import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrored } from './tiles.ts';
import type { Letterboxed } from './letterbox.ts';

test('an input mirrored has each row reversed, and a box found in it maps back to the same place in the original', () => {
  // 3x2 pixels, each pixel's bytes its own index, in an input whose box mapping halves x
  const data = Buffer.from(Array.from({ length: 18 }, (_, i) => Math.floor(i / 3)));
  const lb: Letterboxed = {
    data,
    width: 3,
    height: 2,
    unmap: (b) => ({ ...b, x1: b.x1 / 2, x2: b.x2 / 2 }),
    content: { left: 0, top: 0, width: 2, height: 2 },
  };
  const m = mirrored(lb);
  assert.deepEqual(
    [...m.data].filter((_, i) => i % 3 === 0),
    [2, 1, 0, 5, 4, 3],
  );
  // the mirror's left half is the original's right half
  assert.deepEqual(m.unmap({ x1: 0, y1: 0, x2: 0.5, y2: 0.5 }), { x1: 0.25, y1: 0, x2: 0.5, y2: 0.5 });
  assert.deepEqual(m.content, { left: 1, top: 0, width: 2, height: 2 });
  assert.deepEqual(lb.data, data, 'the original is untouched');
});
