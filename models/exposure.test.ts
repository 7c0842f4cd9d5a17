import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import { exposureCorrected, exposureOf, UNSEARCHABLE_BLOWN } from './exposure.ts';
import { letterbox } from './letterbox.ts';
import { PHOTOS, rgb } from './test/photos.ts';

const variant = async (op: (s: Sharp) => Sharp) =>
  rgb(
    await op(sharp(`${PHOTOS}astronaut.png`))
      .png()
      .toBuffer(),
  );

test('a well-exposed photo is searched as it is; a dark or over-exposed one also through a corrected copy; a blown-out one not at all', async () => {
  const plain = await letterbox(await rgb('astronaut.png'), 256);
  assert.equal(exposureCorrected(plain.data, exposureOf(plain)), null);
  const dark = await letterbox(await variant((s) => s.linear(0.25, 0)), 256);
  assert.ok(exposureCorrected(dark.data, exposureOf(dark)), 'dark: a stretched copy');
  const bright = await letterbox(await variant((s) => s.linear(1.8, 60)), 256);
  assert.ok(exposureOf(bright).blown < UNSEARCHABLE_BLOWN);
  assert.ok(exposureCorrected(bright.data, exposureOf(bright)), 'over-exposed: a darkened copy');
  const blown = await letterbox(await variant((s) => s.linear(2.8, 40)), 256);
  assert.ok(exposureOf(blown).blown > UNSEARCHABLE_BLOWN, 'blown out: not searchable');
});

test("a letterboxed input's black bars do not count: a bright wide strip is as bright as its pixels", async () => {
  const white = { data: Buffer.alloc(400 * 100 * 3, 255), width: 400, height: 100 };
  const lb = await letterbox(white, 256);
  assert.ok(lb.content!.height < 256, 'padded above and below');
  assert.equal(exposureOf(lb).blown, 1);
  assert.ok(exposureOf({ ...lb, content: undefined }).blown < 0.5, 'counting the bars would hide it');
});
