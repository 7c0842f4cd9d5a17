import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** A TF.js weight's values: float32 (dequantized where stored as uint8 steps) or int32. */
export interface TfConst {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A TF.js weights manifest: groups of weights laid end to end in their shard files. */
export const weightsManifestSchema = z.array(
  z.object({
    paths: z.array(z.string()),
    weights: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        dtype: z.enum(['float32', 'int32']),
        // face-api.js ships its weights as uint8 steps of a float range
        quantization: z.object({ dtype: z.literal('uint8'), scale: z.number(), min: z.number() }).optional(),
      }),
    ),
  }),
);
export type WeightsManifest = z.infer<typeof weightsManifestSchema>;

/**
 * Every weight of a manifest, read from its shards in `dir`; uint8 steps dequantized as TF.js does
 * (value = step * scale + min). The shards must hold exactly the weights listed.
 */
export async function readTfjsWeights(dir: string, manifest: WeightsManifest): Promise<Map<string, TfConst>> {
  const weights = new Map<string, TfConst>();
  for (const group of manifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p)))));
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const size = q ? count : count * 4;
      const slice = bytes.subarray(offset, offset + size);
      if (slice.length !== size) throw new Error(`weight shards end before weight ${w.name}`);
      // copied: a typed array over the shared buffer would need 4-byte alignment
      const own = () => slice.buffer.slice(slice.byteOffset, slice.byteOffset + size);
      const data = q
        ? Float32Array.from(slice, (step) => step * q.scale + q.min)
        : w.dtype === 'float32'
          ? new Float32Array(own())
          : new Int32Array(own());
      weights.set(w.name, { dtype: q ? 'float32' : w.dtype, shape: w.shape, data });
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`${bytes.length - offset} bytes of the weight shards left over`);
  }
  return weights;
}
