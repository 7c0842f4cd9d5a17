import type { RgbImage } from '../image.ts';
import { calibrationModel, type Ranges } from '../convert/quantize.ts';
import { ort } from '../session.ts';
import { ssdInput } from './detector.ts';
import { pruneClasses } from './prune.ts';
import { SSD_SIZE } from './size.ts';

/**
 * Runs the float SSD, pruned as the int8 build prunes it, on `images` as the detector feeds it and
 * records the range of every tensor quantization needs. Without graph optimizations, so each tensor
 * is the graph's own.
 */
export async function calibrateSsd(floatModel: Uint8Array, images: RgbImage[]): Promise<Ranges> {
  const { bytes, tensors } = calibrationModel(pruneClasses(floatModel));
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
  });
  const ranges = new Map<string, [number, number]>(tensors.map((t) => [t, [0, 0]]));
  try {
    for (const img of images) {
      const out = await session.run(
        { image: new ort.Tensor('float32', await ssdInput(img), [1, SSD_SIZE, SSD_SIZE, 3]) },
        tensors,
      );
      for (const t of tensors) {
        const r = ranges.get(t)!;
        for (const v of out[t]!.data as Float32Array) {
          if (v < r[0]) r[0] = v;
          else if (v > r[1]) r[1] = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  return Object.fromEntries(ranges);
}
