import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Detector } from './detector.ts';
import type { Detection } from './image.ts';
import { rgb } from './test/photos.ts';
import { createVisionDetector } from './vision.ts';

let detector: Detector;
before(async () => {
  detector = await createVisionDetector({
    faceThreshold: 0.6,
    farFaceThreshold: 0.85,
    personThreshold: 0.2,
    vehicleThreshold: 0.5,
    textThreshold: 0.6,
  });
});
after(() => detector.close());

// A frame worker serves several cameras, one frame of each at a time: their frames are in flight
// together, and onnxruntime runs a model a moment after it is called, so no input may be shared.
test('frames of several cameras detected at once each get their own detections', async () => {
  const photos = ['astronaut.png', 'coffee.png', 'camera.png', 'chelsea.png'];
  const imgs = await Promise.all(photos.map((p) => rgb(p)));
  const alone: Detection[][] = [];
  for (const [i, img] of imgs.entries()) alone.push(await detector.detect(img, `camera-${i}`));
  assert.ok(
    alone[0]!.length > 0 && alone[1]!.length === 0,
    'people in one photo, none in the other, so a mix-up shows',
  );
  for (let round = 0; round < 5; round++) {
    const together = await Promise.all(imgs.map((img, i) => detector.detect(img, `camera-${i}`)));
    together.forEach((dets, i) => assert.deepEqual(dets, alone[i], `${photos[i]} in round ${round}`));
  }
});
