import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import sharp from 'sharp';
import { vtestFrames, vtestMissing } from '../../fixtures/vtest.ts';
import { CATALOGUE } from '../catalogue.ts';
import { ort } from '../session.ts';
import { PHOTOS } from '../test/photos.ts';
import { cocoSsdGraphDir, convertCocoSsd, SSD_OUTPUTS, SSD_SIZE } from './convert.ts';

/** The original TF.js graph, run by TensorFlow.js's own CPU kernels: the reference. */
async function referenceModel() {
  await tf.setBackend('cpu');
  const dir = cocoSsdGraphDir();
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const manifest = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const data = Buffer.concat(await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p)))));
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    }),
  );
}

const converted = convertCocoSsd();

test('the converter makes the same bytes every time, with the sha256 the catalogue pins', async () => {
  const [a, b] = await Promise.all([converted, convertCocoSsd()]);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
  assert.equal(createHash('sha256').update(a).digest('hex'), CATALOGUE['ssd-mobilenet-v2-coco'].sha256);
});

/** real frames, each stretched to 300x300 as the graph's own resize would (a 300x300 input is not resized again) */
async function frames(): Promise<{ name: string; px: Buffer }[]> {
  const sources: { name: string; img: Buffer | string }[] = [
    { name: 'astronaut.png', img: join(PHOTOS, 'astronaut.png') },
    { name: 'camera.png', img: join(PHOTOS, 'camera.png') },
  ];
  if (!vtestMissing())
    (await vtestFrames(200, 2)).forEach((img, i) => sources.push({ name: `vtest frame ${i * 200}`, img }));
  return Promise.all(
    sources.map(async (s) => ({
      name: s.name,
      px: await sharp(s.img)
        .toColourspace('srgb')
        .removeAlpha()
        .resize(SSD_SIZE, SSD_SIZE, { fit: 'fill' })
        .raw()
        .toBuffer(),
    })),
  );
}

test(
  "the ONNX model gives the original TF.js graph's scores and boxes on real frames",
  { timeout: 180_000 },
  async (t) => {
    if (vtestMissing()) t.diagnostic(`checked on the committed photos only: ${vtestMissing()}`);
    const reference = await referenceModel();
    const session = await ort.InferenceSession.create(await converted, { intraOpNumThreads: 1 });
    for (const { name, px } of await frames()) {
      const ref = (await reference.executeAsync(tf.tensor4d(Int32Array.from(px), [1, SSD_SIZE, SSD_SIZE, 3], 'int32'), [
        SSD_OUTPUTS.scores,
        SSD_OUTPUTS.boxes,
      ])) as tf.Tensor[];
      const refScores = ref[0]!.dataSync();
      const refBoxes = ref[1]!.dataSync();
      tf.dispose(ref);
      const out = await session.run({
        image: new ort.Tensor('float32', Float32Array.from(px), [1, SSD_SIZE, SSD_SIZE, 3]),
      });
      const scores = out.scores!.data as Float32Array;
      const boxes = out.boxes!.data as Float32Array;
      assert.equal(scores.length, refScores.length, name);
      assert.equal(boxes.length, refBoxes.length, name);
      let ds = 0;
      let db = 0;
      let confident = 0;
      for (let i = 0; i < scores.length; i++) {
        ds = Math.max(ds, Math.abs(scores[i]! - refScores[i]!));
        if (refScores[i]! > 0.5) confident++;
      }
      for (let i = 0; i < boxes.length; i++) db = Math.max(db, Math.abs(boxes[i]! - refBoxes[i]!));
      t.diagnostic(
        `${name}: max |score diff| ${ds.toExponential(2)}, max |box diff| ${db.toExponential(2)}, ${confident} scores above 0.5`,
      );
      assert.ok(confident > 0, `${name}: the reference finds something, so the comparison means something`);
      assert.ok(ds < 1e-4, `${name}: scores differ by ${ds}`);
      assert.ok(db < 1e-4, `${name}: boxes differ by ${db}`);
    }
    await session.release();
  },
);
