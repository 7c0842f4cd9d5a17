import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { vtestFrames, vtestMissing } from '../../fixtures/vtest.ts';
import { CATALOGUE } from '../catalogue.ts';
import { foldedModel, quantizeQdq, type Ranges } from '../convert/quantize.ts';
import { iou, type Detection, type RgbImage } from '../image.ts';
import { ort } from '../session.ts';
import { rgb } from '../test/photos.ts';
import { readVerifiedModel } from '../verify.ts';
import { calibrateSsd } from './calibrate.ts';
import { SSD_CALIBRATION } from './calibration.ts';
import { createCocoSsd, ssdInput } from './detector.ts';
import { buildQuantizedSsd } from './quantized.ts';
import { SSD_SIZE } from './size.ts';
import { calibrationImages } from '../test/calibration.ts';

const float = readVerifiedModel(CATALOGUE['ssd-mobilenet-v2-coco']);
/** the most the int8 model may move a confident box's edge, as a share of its side, at the 95th percentile */
const BOX_EDGE_P95 = 0.05;
/** confident detections needed before that percentile means anything (CCTV frames give hundreds) */
const MIN_FOR_PERCENTILE = 20;
/** below that, each confident box's overlap with the float model's: two edges off by 5% of the side give about 0.9 */
const FEW_MIN_IOU = 0.85;

/** the committed photos, and spread real CCTV frames where opencv-doc is installed */
async function images(vtestEvery: number, vtestCount: number): Promise<{ name: string; img: RgbImage }[]> {
  const out = await Promise.all(
    ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png'].map(async (name) => ({ name, img: await rgb(name) })),
  );
  if (vtestMissing()) return out;
  const frames = await vtestFrames(vtestEvery, vtestCount);
  return [
    ...out,
    ...(await Promise.all(frames.map(async (j, i) => ({ name: `vtest frame ${i * vtestEvery}`, img: await rgb(j) })))),
  ];
}

test('the int8 SSD is built with the same bytes every time, with the sha256 the catalogue pins', async () => {
  const [a, b] = await Promise.all([buildQuantizedSsd(), buildQuantizedSsd()]);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
  assert.equal(createHash('sha256').update(a).digest('hex'), CATALOGUE['ssd-mobilenet-v2-coco-int8'].sha256);
  assert.ok(a.length < (await float).length / 3, 'int8 weights: a third of the float file or less');
});

test("folding batch norm and bias into each convolution leaves the float model's outputs as they were", async () => {
  const { bytes, folded } = foldedModel(await float);
  assert.ok(folded >= 70, `${folded} convolutions folded`);
  const a = await ort.InferenceSession.create(await float, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const b = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  for (const { name, img } of await images(300, 2)) {
    const feeds = { image: new ort.Tensor('float32', await ssdInput(img), [1, SSD_SIZE, SSD_SIZE, 3]) };
    const [x, y] = [
      (await a.run(feeds)).scores!.data as Float32Array,
      (await b.run(feeds)).scores!.data as Float32Array,
    ];
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
    assert.ok(d < 1e-4, `${name}: scores differ by ${d}`);
  }
  await Promise.all([a.release(), b.release()]);
});

test(
  'the int8 SSD finds the people and vehicles the float SSD finds, on real CCTV',
  { timeout: 240_000 },
  async (t) => {
    if (vtestMissing()) t.diagnostic(`checked on the committed photos only: ${vtestMissing()}`);
    const [f, q] = await Promise.all([
      createCocoSsd({ personThreshold: 0.2, vehicleThreshold: 0.2, model: 'ssd-mobilenet-v2-coco' }),
      createCocoSsd({ personThreshold: 0.2, vehicleThreshold: 0.2, model: 'ssd-mobilenet-v2-coco-int8' }),
    ]);
    const found: Record<'person' | 'confident' | 'vehicle', [number, number]> = {
      person: [0, 0],
      confident: [0, 0],
      vehicle: [0, 0],
    };
    const twin = (d: Detection, in_: Detection[]) =>
      in_
        .filter((e) => e.cls === d.cls && iou(d.box, e.box) >= 0.5)
        .sort((x, y) => iou(y.box, d.box) - iou(x.box, d.box))[0];
    // how far each edge of a confident box moved, as a share of the box's side (its width for the
    // left and right edges, its height for the top and bottom): a head region is the top 15% of a
    // person however large the image, and a pixel bound set on 768x576 CCTV did not fit the photos
    const edges: number[] = [];
    const ious: number[] = [];
    const all = await images(6, 100);
    for (const { img } of all) {
      const [a, b] = [await f.detect(img), await q.detect(img)];
      for (const d of a) {
        const k = d.cls === 'vehicle' ? (d.score >= 0.5 ? 'vehicle' : null) : d.score >= 0.5 ? 'confident' : 'person';
        if (!k) continue;
        found[k][0]++;
        const e = twin(d, b);
        if (!e) continue;
        found[k][1]++;
        if (d.score < 0.5) continue;
        const [w, h] = [d.box.x2 - d.box.x1, d.box.y2 - d.box.y1];
        ious.push(iou(d.box, e.box));
        edges.push(
          ...(['x1', 'x2'] as const).map((s) => Math.abs(e.box[s] - d.box[s]) / w),
          ...(['y1', 'y2'] as const).map((s) => Math.abs(e.box[s] - d.box[s]) / h),
        );
      }
    }
    edges.sort((x, y) => x - y);
    const p95 = edges[Math.floor(edges.length * 0.95)]!;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    t.diagnostic(
      `box edges of confident detections moved from the float model's: median ${pct(edges[edges.length >> 1]!)}, 95th percentile ${pct(p95)}, largest ${pct(edges.at(-1)!)} of the box's side; lowest IoU ${Math.min(...ious).toFixed(3)} over ${ious.length}`,
    );
    if (ious.length >= MIN_FOR_PERCENTILE)
      assert.ok(p95 <= BOX_EDGE_P95, `box edges moved ${pct(p95)} of the box's side (95th percentile)`);
    // the committed photos alone hold two people: too few for a percentile, so each one is judged
    else
      for (const v of ious)
        assert.ok(v >= FEW_MIN_IOU, `a confident box overlaps its float twin by IoU ${v.toFixed(3)}`);
    t.diagnostic(
      `${all.length} images; matched by int8 (IoU >= 0.5) / found by float: persons 0.2-0.5 ${found.person[1]}/${found.person[0]}, persons >= 0.5 ${found.confident[1]}/${found.confident[0]}, vehicles >= 0.5 ${found.vehicle[1]}/${found.vehicle[0]}`,
    );
    assert.ok(found.confident[0] >= 2, 'the float model finds people, so the comparison means something');
    assert.equal(found.confident[1], found.confident[0], 'every person the float model is sure of');
    assert.equal(found.vehicle[1], found.vehicle[0], 'every vehicle the float model is sure of');
    // uncertain persons (their heads are redacted from 0.2) move a little in score and place
    assert.ok(found.person[1] >= 0.9 * found.person[0], `uncertain persons: ${found.person[1]} of ${found.person[0]}`);
    await Promise.all([f.close(), q.close()]);
  },
);

test('a calibration made for another float model, or missing a tensor, builds nothing', async () => {
  await assert.rejects(
    buildQuantizedSsd({ model: '0'.repeat(64), ranges: SSD_CALIBRATION.ranges }),
    /calibration was made for float model 0+, not/,
  );
  const fewer: Ranges = { ...SSD_CALIBRATION.ranges };
  delete fewer[Object.keys(fewer)[5]!];
  await assert.rejects(
    async () => quantizeQdq(await float, fewer),
    /no calibrated range for 1 tensors .*calibrate again/,
  );
});

test(
  'the committed calibration is what calibrating on its frames measures',
  { skip: vtestMissing() || false, timeout: 120_000 },
  async () => {
    const fresh = await calibrateSsd(await float, await calibrationImages());
    assert.deepEqual(Object.keys(fresh).sort(), Object.keys(SSD_CALIBRATION.ranges).sort());
    for (const [name, [lo, hi]] of Object.entries(fresh)) {
      const [clo, chi] = (SSD_CALIBRATION.ranges as Ranges)[name]!;
      const slack = 0.01 * Math.max(1, chi - clo);
      assert.ok(
        clo <= lo + slack && chi >= hi - slack && chi - clo <= (hi - lo) * 1.01 + slack,
        `${name}: committed [${clo}, ${chi}], measured [${lo}, ${hi}]`,
      );
    }
  },
);
