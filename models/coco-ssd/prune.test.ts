import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOGUE } from '../catalogue.ts';
import { ort } from '../session.ts';
import { rgb } from '../test/photos.ts';
import { readVerifiedModel } from '../verify.ts';
import { ssdInput } from './detector.ts';
import { SSD_KEPT_COLUMNS } from './labels.ts';
import { pruneClasses } from './prune.ts';
import { SSD_SIZE } from './size.ts';

test('the pruned SSD gives the classes veilgate uses the scores and boxes of the full model, and no others', async () => {
  const float = await readVerifiedModel(CATALOGUE['ssd-mobilenet-v2-coco']);
  const [full, pruned] = await Promise.all(
    [float, pruneClasses(float)].map((b) =>
      ort.InferenceSession.create(b, { intraOpNumThreads: 1, logSeverityLevel: 3 }),
    ),
  );
  for (const photo of ['astronaut.png', 'coffee.png']) {
    const feeds = { image: new ort.Tensor('float32', await ssdInput(await rgb(photo)), [1, SSD_SIZE, SSD_SIZE, 3]) };
    const [a, b] = [await full!.run(feeds), await pruned!.run(feeds)];
    assert.deepEqual(b.scores!.dims, [1, 1917, SSD_KEPT_COLUMNS.length]);
    const [sa, sb] = [a.scores!.data as Float32Array, b.scores!.data as Float32Array];
    let diff = 0;
    for (let i = 0; i < 1917; i++)
      SSD_KEPT_COLUMNS.forEach(
        (c, j) => (diff = Math.max(diff, Math.abs(sa[i * 90 + c]! - sb[i * SSD_KEPT_COLUMNS.length + j]!))),
      );
    assert.ok(diff < 1e-6, `${photo}: kept scores differ by ${diff}`);
    assert.deepEqual(
      Array.from(b.boxes!.data as Float32Array),
      Array.from(a.boxes!.data as Float32Array),
      `${photo}: boxes`,
    );
    if (photo === 'astronaut.png') {
      const best = Math.max(...Array.from({ length: 1917 }, (_, i) => sb[i * SSD_KEPT_COLUMNS.length]!));
      assert.ok(
        best > 0.5,
        `the astronaut is a person to the pruned model too (${best}), so the comparison means something`,
      );
    }
  }
  await Promise.all([full!.release(), pruned!.release()]);
});
