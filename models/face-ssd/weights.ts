import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** A weight of a face-api.js model: its shape (TF's HWIO for convolutions) and float values. */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

const manifestSchema = z.array(
  z.object({
    paths: z.array(z.string()),
    weights: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        dtype: z.enum(['float32', 'int32']), // int32: the TF graph's shape constants, not used
        // face-api.js ships its weights as uint8 steps of a float range
        quantization: z.object({ dtype: z.literal('uint8'), scale: z.number(), min: z.number() }).optional(),
      }),
    ),
  }),
);

/**
 * The weights of a face-api.js model (`<name>-weights_manifest.json` and its shards in `dir`),
 * dequantized as TF.js does (value = step * scale + min).
 */
export async function readFaceApiWeights(dir: string, name: string): Promise<Map<string, Weight>> {
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, `${name}-weights_manifest.json`), 'utf8')));
  const weights = new Map<string, Weight>();
  for (const group of manifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p)))));
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const size = q ? count : count * 4;
      const slice = bytes.subarray(offset, offset + size);
      if (slice.length !== size) throw new Error(`${name}: the weight shards end before weight ${w.name}`);
      // copied: a typed array over the shared buffer would need 4-byte alignment
      const own = () => slice.buffer.slice(slice.byteOffset, slice.byteOffset + size);
      const data = q
        ? Float32Array.from(slice, (step) => step * q.scale + q.min)
        : w.dtype === 'int32'
          ? Float32Array.from(new Int32Array(own()))
          : new Float32Array(own());
      weights.set(w.name, { shape: w.shape, data });
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`${name}: ${bytes.length - offset} bytes left after the last weight`);
  }
  return weights;
}
