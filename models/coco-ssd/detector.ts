import sharp from 'sharp';
import { CATALOGUE } from '../catalogue.ts';
import type { Detector } from '../detector.ts';
import { clampBox, nms, type Detection, type RgbImage } from '../image.ts';
import { openSession, ort } from '../session.ts';
import { SSD_SIZE } from './size.ts';
import { SSD_CLASSES, SSD_KEPT_COLUMNS } from './labels.ts';
import type { SsdModelId } from '../model-names.ts';

export interface CocoSsdOptions {
  personThreshold: number;
  vehicleThreshold: number;
  model?: SsdModelId;
}

/**
 * by score columns per anchor, the class of each column used: the float model's 90 COCO classes, or the int8 model's 7
 * (prune.ts)
 */
const LAYOUTS = new Map<number, ReadonlyArray<readonly [number, 'person' | 'vehicle']>>([
  [90, [...SSD_CLASSES]],
  [SSD_KEPT_COLUMNS.length, SSD_KEPT_COLUMNS.map((c, j) => [j, SSD_CLASSES.get(c)!] as const)],
]);

/** Persons and vehicles with SSD MobileNetV2 COCO (converted from the TF.js graph, see convert.ts). */
export async function createCocoSsd(opts: CocoSsdOptions): Promise<Detector> {
  const entry = CATALOGUE[opts.model ?? 'ssd-mobilenet-v2-coco-int8'];
  const session = await openSession(entry);
  return {
    models: [entry.id],
    async detect(img: RgbImage): Promise<Detection[]> {
      // an input of its own per call: a frame worker has several cameras' frames in flight, and
      // onnxruntime reads the input only when the run starts, after other frames' code has run
      const input = await ssdInput(img);
      const out = await session.run({ image: new ort.Tensor('float32', input, [1, SSD_SIZE, SSD_SIZE, 3]) });
      const scores = out.scores!.data as Float32Array;
      const boxes = out.boxes!.data as Float32Array;
      const found: Detection[] = [];
      const width = out.scores!.dims[2]!;
      const columns = LAYOUTS.get(width);
      if (!columns) throw new Error(`${entry.id}: ${width} score columns`);
      const anchors = scores.length / width;
      for (let a = 0; a < anchors; a++) {
        for (const [col, cls] of columns) {
          const score = scores[a * width + col]!;
          if (score < (cls === 'person' ? opts.personThreshold : opts.vehicleThreshold)) continue;
          const b = a * 4;
          const box = clampBox({ y1: boxes[b]!, x1: boxes[b + 1]!, y2: boxes[b + 2]!, x2: boxes[b + 3]! });
          if (box.x2 > box.x1 && box.y2 > box.y1) found.push({ cls, score, box, model: entry.id });
        }
      }
      return nms(found, { face: 0.45, text: 0.45, vehicle: 0.45, person: 0.7 });
    },
    async close() {
      await session.release();
    },
  };
}

/**
 * The model's input for an image: stretched to 300x300, as the original graph resizes, so boxes map straight back.
 * Calibration uses it too.
 */
export async function ssdInput(img: RgbImage): Promise<Float32Array> {
  const px = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(SSD_SIZE, SSD_SIZE, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const input = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) input[i] = px[i]!;
  return input;
}
