import { CATALOGUE, type ModelId } from '../catalogue.ts';
import { clampBox, nms, type Box, type Detection, type RgbImage } from '../image.ts';
import { halve, letterbox } from '../letterbox.ts';
import { openSession, ort } from '../session.ts';
import { blazefaceAnchors } from './anchors.ts';
import type { Detector } from '../detector.ts';

const ANCHORS = blazefaceAnchors();

type Variant = Extract<ModelId, 'blazeface-front-128' | 'blazeface-back-256'>;

export interface BlazefaceOptions {
  variant: Variant;
  /** minimum sigmoid score; 0.5 fires on coffee cups and cats (DESIGN.md section 4) */
  threshold: number;
}

/** One BlazeFace model on its own: letterboxes each image to the model's side. */
export async function createBlazeface(opts: BlazefaceOptions): Promise<Detector> {
  const model = await openBlazeface(opts);
  return {
    models: [model.id],
    async detect(img: RgbImage): Promise<Detection[]> {
      const lb = await letterbox(img, model.size);
      return model.detect(lb.data, lb.unmap);
    },
    close: model.close,
  };
}

/**
 * Near (128) and far (256) faces from one resize of the frame: the near model's input is the far
 * model's averaged 2x2, which costs a fraction of a millisecond where a second libvips resize of
 * the whole frame cost about 3 ms.
 */
export async function createFaceDetector(opts: { nearThreshold: number; farThreshold: number }): Promise<Detector> {
  const [near, far] = await Promise.all([
    openBlazeface({ variant: 'blazeface-front-128', threshold: opts.nearThreshold }),
    openBlazeface({ variant: 'blazeface-back-256', threshold: opts.farThreshold }),
  ]);
  return {
    models: [near.id, far.id],
    async detect(img: RgbImage): Promise<Detection[]> {
      const lb = await letterbox(img, far.size);
      const small = halve(lb);
      return [...(await near.detect(small.data, small.unmap)), ...(await far.detect(lb.data, lb.unmap))];
    },
    async close() {
      await Promise.all([near.close(), far.close()]);
    },
  };
}

interface BlazefaceModel {
  id: string;
  size: number;
  /** faces in a letterboxed input of `size` x `size` RGB bytes */
  detect(pixels: Buffer, unmap: (b: Box) => Box): Promise<Detection[]>;
  close(): Promise<void>;
}

async function openBlazeface(opts: BlazefaceOptions): Promise<BlazefaceModel> {
  const entry = CATALOGUE[opts.variant];
  const size = opts.variant === 'blazeface-front-128' ? 128 : 256;
  const session = await openSession(entry);
  const input = session.inputNames[0]!;
  const [scoresA, scoresB, boxesA, boxesB] = session.outputNames as [string, string, string, string];
  const tensor = new Float32Array(size * size * 3);
  return {
    id: entry.id,
    size,
    async detect(pixels, unmap) {
      for (let i = 0; i < tensor.length; i++) tensor[i] = pixels[i]! / 127.5 - 1;
      const out = await session.run({ [input]: new ort.Tensor('float32', tensor, [1, size, size, 3]) });
      const scores = [out[scoresA]!.data as Float32Array, out[scoresB]!.data as Float32Array];
      const boxes = [out[boxesA]!.data as Float32Array, out[boxesB]!.data as Float32Array];
      const found: Detection[] = [];
      let anchor = 0;
      for (let part = 0; part < 2; part++) {
        const s = scores[part]!;
        const r = boxes[part]!;
        for (let i = 0; i < s.length; i++, anchor++) {
          const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, s[i]!))));
          if (score < opts.threshold) continue;
          const cx = r[i * 16]! / size + ANCHORS[anchor * 2]!;
          const cy = r[i * 16 + 1]! / size + ANCHORS[anchor * 2 + 1]!;
          const w = r[i * 16 + 2]! / size;
          const h = r[i * 16 + 3]! / size;
          const box = clampBox(unmap({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }));
          if (box.x2 > box.x1 && box.y2 > box.y1) found.push({ cls: 'face', score, box, model: entry.id });
        }
      }
      return nms(found, 0.3);
    },
    async close() {
      await session.release();
    },
  };
}
