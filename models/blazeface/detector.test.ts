import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Detector } from '../detector.ts';
import { iou } from '../image.ts';
import { rgb } from '../test/photos.ts';
import { createBlazeface, createFaceDetector } from './detector.ts';

let near: Detector;
let far: Detector;
let pair: Detector;
before(async () => {
  [near, far, pair] = await Promise.all([
    createBlazeface({ variant: 'blazeface-front-128', threshold: 0.5 }),
    createBlazeface({ variant: 'blazeface-back-256', threshold: 0.5 }),
    createFaceDetector({ nearThreshold: 0.5, farThreshold: 0.5 }),
  ]);
});
after(() => Promise.all([near, far, pair].map((d) => d.close())));

for (const photo of ['astronaut.png', 'camera.png']) {
  test(`${photo}: near and far faces from one resize are the faces each model finds on its own resize`, async () => {
    const img = await rgb(photo);
    const alone = [...(await near.detect(img)), ...(await far.detect(img))];
    const shared = await pair.detect(img);
    assert.ok(alone.some((d) => d.model === 'blazeface-front-128'), 'the near model finds the face, so the comparison means something');
    assert.equal(shared.length, alone.length);
    for (const d of alone) {
      const twin = shared.find((s) => s.model === d.model && iou(s.box, d.box) > 0.8);
      assert.ok(twin, `${d.model} face at ${JSON.stringify(d.box)} found from the shared resize`);
      assert.ok(Math.abs(twin.score - d.score) < 0.1, `${d.model}: score ${twin.score} against ${d.score}`);
    }
  });
}
