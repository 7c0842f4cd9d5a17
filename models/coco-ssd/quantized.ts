import { createHash } from 'node:crypto';
import { CATALOGUE } from '../catalogue.ts';
import { quantizeQdq, type Ranges } from '../convert/quantize.ts';
import { readVerifiedModel } from '../verify.ts';
import { pruneClasses } from './prune.ts';
import { SSD_CALIBRATION } from './calibration.ts';

/**
 * The int8 SSD: the converted float model, its class predictors cut to the classes veilgate uses
 * (prune.ts), quantized with the committed calibration ranges (calibration.ts, written by
 * `npm run calibrate`). Building needs no frames and no onnxruntime, so it gives the same bytes
 * everywhere; a calibration made for another float model is refused.
 */
export async function buildQuantizedSsd(calibration: Calibration = SSD_CALIBRATION): Promise<Uint8Array> {
  const float = await readVerifiedModel(CATALOGUE['ssd-mobilenet-v2-coco']);
  const sha = createHash('sha256').update(float).digest('hex');
  if (sha !== calibration.model)
    throw new Error(
      `the SSD calibration was made for float model ${calibration.model}, not ${sha}: run npm run calibrate`,
    );
  return quantizeQdq(pruneClasses(float), calibration.ranges);
}

export interface Calibration {
  /** sha256 of the float model the ranges were measured on */
  model: string;
  ranges: Ranges;
}
