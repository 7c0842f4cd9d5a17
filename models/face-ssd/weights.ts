import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTfjsWeights, weightsManifestSchema } from '../convert/tfjs-weights.ts';

/** A float weight of a face-api.js model: its shape (TF's HWIO for convolutions) and values. */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/**
 * The float weights of a face-api.js model (`<name>-weights_manifest.json` and its shards in `dir`;
 * the int32 ones are the TF graph's shape constants, not used).
 */
export async function readFaceApiWeights(dir: string, name: string): Promise<Map<string, Weight>> {
  const manifest = weightsManifestSchema.parse(
    JSON.parse(await readFile(join(dir, `${name}-weights_manifest.json`), 'utf8')),
  );
  const weights = new Map<string, Weight>();
  for (const [key, w] of await readTfjsWeights(dir, manifest))
    if (w.data instanceof Float32Array) weights.set(key, { shape: w.shape, data: w.data });
  return weights;
}
