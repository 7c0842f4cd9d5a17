import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { vtestFrames, vtestMissing } from '../../fixtures/vtest.ts';
import type { Detector } from '../detector.ts';
import { rgb } from '../test/photos.ts';
import { createCocoSsd } from './detector.ts';

let ssd: Detector;
before(async () => {
  ssd = await createCocoSsd({ personThreshold: 0.2, vehicleThreshold: 0.5 });
});
after(() => ssd.close());

test('finds the person in each portrait photo, around the face', async () => {
  for (const [file, face] of [
    ['astronaut.png', { x: 225 / 512, y: 126 / 512 }],
    ['camera.png', { x: 220 / 512, y: 160 / 512 }],
  ] as const) {
    const persons = (await ssd.detect(await rgb(file))).filter((d) => d.cls === 'person');
    assert.ok(
      persons.some((p) => p.box.x1 < face.x && face.x < p.box.x2 && p.box.y1 < face.y && face.y < p.box.y2),
      `${file}: a person box holds the face`,
    );
  }
});

test('finds no person or vehicle in the cat and coffee photos', async () => {
  for (const file of ['chelsea.png', 'coffee.png']) assert.deepEqual(await ssd.detect(await rgb(file)), [], file);
});

test('finds the walking people and the parked vans on real CCTV (vtest.avi)', { skip: vtestMissing() }, async () => {
  const frames = await vtestFrames(100, 8);
  for (const [i, jpeg] of frames.entries()) {
    const dets = await ssd.detect(await rgb(jpeg));
    const persons = dets.filter((d) => d.cls === 'person' && d.score >= 0.5);
    const vehicles = dets.filter((d) => d.cls === 'vehicle');
    assert.ok(persons.length >= 2, `frame ${i * 100}: ${persons.length} confident persons`);
    // the two vans parked top right stay in view the whole clip
    assert.ok(vehicles.filter((v) => v.box.x1 > 0.75 && v.box.y2 < 0.25).length >= 1, `frame ${i * 100}: a parked van`);
  }
});
