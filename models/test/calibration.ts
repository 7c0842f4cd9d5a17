import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { vtestFrames, vtestMissing } from '../../fixtures/vtest.ts';
import { CATALOGUE } from '../catalogue.ts';
import type { RgbImage } from '../image.ts';
import { PHOTOS, rgb } from './photos.ts';
import { readVerifiedModel } from '../verify.ts';
import { calibrateSsd } from '../coco-ssd/calibrate.ts';

export const CALIBRATION_FRAMES =
  'vtest.avi (opencv-doc) every 10th frame from 0 to 590, and the committed photos in fixtures/photos';

/** The frames the committed calibration was measured on: real CCTV first, as deployed cameras see. */
export async function calibrationImages(): Promise<RgbImage[]> {
  const why = vtestMissing();
  if (why) throw new Error(`calibration ${why}`);
  const jpegs = await vtestFrames(10, 60);
  const photos = readdirSync(PHOTOS)
    .filter((f) => f.endsWith('.png'))
    .sort();
  return Promise.all([...jpegs.map((j) => rgb(j)), ...photos.map((p) => rgb(p))]);
}

/** a range widened to 4 significant digits, so the file reads well and still covers what was measured */
function outward(v: number, up: boolean): number {
  if (v === 0) return 0;
  const unit = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 3);
  return Number(((up ? Math.ceil(v / unit) : Math.floor(v / unit)) * unit).toPrecision(4));
}

// npm run calibrate: after the float model or the detector's input changes
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const float = await readVerifiedModel(CATALOGUE['ssd-mobilenet-v2-coco']);
  const ranges = await calibrateSsd(float, await calibrationImages());
  const lines = Object.entries(ranges).map(
    ([t, [lo, hi]]) => `    ${JSON.stringify(t)}: [${outward(lo, false)}, ${outward(hi, true)}],`,
  );
  const text = `// Written by npm run calibrate (models/test/calibration.ts); do not edit.
// Activation ranges of the float SSD, pruned as the int8 build prunes it, on
// ${CALIBRATION_FRAMES}.
export const SSD_CALIBRATION = {
  model: '${createHash('sha256').update(float).digest('hex')}',
  ranges: {
${lines.join('\n')}
  },
} as const;
`;
  await writeFile(fileURLToPath(new URL('../coco-ssd/calibration.ts', import.meta.url)), text);
  console.log(`${Object.keys(ranges).length} ranges written to models/coco-ssd/calibration.ts`);
}
