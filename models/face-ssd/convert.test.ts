import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
import { CATALOGUE } from '../catalogue.ts';
import { ort } from '../session.ts';
import { PHOTOS } from '../test/photos.ts';
import { convertFaceSsd, faceApiModelDir } from './convert.ts';

/**
 * The reference: face-api.js's SsdMobilenetv1.forwardInput (src/ssdMobilenetv1: mobileNetV1.ts,
 * predictionLayer.ts, boxPredictionLayer.ts, outputLayer.ts), written out in the same TF.js ops and
 * run by TensorFlow.js's own CPU kernels on the weights as TF.js itself decodes them.
 */
async function reference() {
  await tf.setBackend('cpu');
  const dir = faceApiModelDir();
  const manifest = JSON.parse(await readFile(join(dir, 'ssd_mobilenetv1_model-weights_manifest.json'), 'utf8')) as {
    paths: string[];
    weights: tf.io.WeightsManifestEntry[];
  }[];
  const data = Buffer.concat(await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p)))));
  const w = tf.io.decodeWeights(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    manifest.flatMap((g) => g.weights),
  );
  const pointwise = (x: tf.Tensor4D, prefix: string, i: number, stride: number) =>
    tf.clipByValue(
      tf.add(
        tf.conv2d(x, w[`${prefix}/Conv2d_${i}_pointwise/weights`] as tf.Tensor4D, stride, 'same'),
        w[`${prefix}/Conv2d_${i}_pointwise/convolution_bn_offset`]!,
      ),
      0,
      6,
    ) as tf.Tensor4D;
  const depthwise = (x: tf.Tensor4D, i: number, stride: number) => {
    const p = `MobilenetV1/Conv2d_${i}_depthwise`;
    const out = tf.depthwiseConv2d(x, w[`${p}/depthwise_weights`] as tf.Tensor4D, stride, 'same');
    const bn = (n: string) => w[`${p}/BatchNorm/${n}`] as tf.Tensor1D;
    return tf.clipByValue(
      tf.batchNorm(out, bn('moving_mean'), bn('moving_variance'), bn('beta'), bn('gamma'), 0.0010000000474974513),
      0,
      6,
    ) as tf.Tensor4D;
  };
  /** scores (sigmoid of class 1) and box encodings per anchor, in the weights' anchor order */
  return (rgb: Buffer, side: number) =>
    tf.tidy(() => {
      const img = tf.tensor4d(Float32Array.from(rgb), [1, side, side, 3]);
      const x = tf.sub(tf.mul(img, tf.scalar(0.007843137718737125)), tf.scalar(1)) as tf.Tensor4D;
      let out = pointwise(x, 'MobilenetV1', 0, 2);
      let conv11 = out;
      for (let i = 1; i <= 13; i++) {
        out = pointwise(depthwise(out, i, [2, 4, 6, 12].includes(i) ? 2 : 1), 'MobilenetV1', i, 1);
        if (i === 11) conv11 = out;
      }
      const extra: tf.Tensor4D[] = [];
      let e = out;
      for (let i = 0; i < 8; i++) extra.push((e = pointwise(e, 'Prediction', i, i % 2 === 1 ? 2 : 1)));
      const heads = [conv11, out, extra[1]!, extra[3]!, extra[5]!, extra[7]!].map((f, i) => {
        const p = `Prediction/BoxPredictor_${i}`;
        const conv = (n: string) =>
          tf.add(tf.conv2d(f, w[`${p}/${n}/weights`] as tf.Tensor4D, 1, 'same'), w[`${p}/${n}/biases`]!);
        return {
          box: tf.reshape(conv('BoxEncodingPredictor'), [1, -1, 4]),
          cls: tf.reshape(conv('ClassPredictor'), [1, -1, 3]),
        };
      });
      const cls = tf.concat(
        heads.map((h) => h.cls),
        1,
      );
      return {
        scores: tf.sigmoid(tf.slice(cls, [0, 0, 1], [-1, -1, 1])).dataSync() as Float32Array,
        encodings: tf
          .concat(
            heads.map((h) => h.box),
            1,
          )
          .dataSync() as Float32Array,
        anchors: w['Output/extra_dim']!.dataSync() as Float32Array,
      };
    });
}

const maxDiff = (a: Float32Array, b: Float32Array) => {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

test('the converter makes the same bytes every time, with the sha256 the catalogue pins', async () => {
  const [a, b] = await Promise.all([convertFaceSsd(), convertFaceSsd()]);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
  assert.equal(createHash('sha256').update(a).digest('hex'), CATALOGUE['face-ssd-mobilenetv1-256'].sha256);
});

test("the ONNX model gives face-api.js's scores and boxes: at 512, as face-api.js runs it, and at 256, as veilgate does", async () => {
  const forward = await reference();
  for (const side of [512, 256]) {
    const session = await ort.InferenceSession.create(await convertFaceSsd(undefined, side));
    for (const name of ['astronaut.png', 'camera.png']) {
      const rgb = await sharp(join(PHOTOS, name)).removeAlpha().resize(side, side).raw().toBuffer();
      const want = forward(rgb, side);
      const got = await session.run({ image: new ort.Tensor('float32', Float32Array.from(rgb), [1, side, side, 3]) });
      const scores = got.scores!.data as Float32Array;
      assert.ok(
        maxDiff(scores, want.scores) < 1e-4,
        `${name} at ${side}: scores differ by ${maxDiff(scores, want.scores)}`,
      );
      const enc = got.encodings!.data as Float32Array;
      assert.ok(
        maxDiff(enc, want.encodings) < 1e-3,
        `${name} at ${side}: boxes differ by ${maxDiff(enc, want.encodings)}`,
      );
      assert.ok(Math.max(...scores) > 0.5, `${name} at ${side}: the face is found (${Math.max(...scores)})`);
      // at 512 the anchors are the weights' own
      if (side === 512) assert.ok(maxDiff(got.anchors!.data as Float32Array, want.anchors) < 1e-6);
    }
    await session.release();
  }
});
