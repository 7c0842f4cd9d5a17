import { CATALOGUE, type ModelId } from '../catalogue.ts';
import { clampBox, nms, type Detection, type RgbImage } from '../image.ts';
import { letterbox } from '../letterbox.ts';
import { openSession, ort } from '../session.ts';
import { blazefaceAnchors } from './anchors.ts';
import type { Detector } from '../detector.ts';

const ANCHORS = blazefaceAnchors();

export interface BlazefaceOptions {
  variant: Extract<ModelId, 'blazeface-front-128' | 'blazeface-back-256'>;
  /** minimum sigmoid score; 0.5 fires on coffee cups and cats (DESIGN.md section 4) */
  threshold: number;
}

export async function createBlazeface(opts: BlazefaceOptions): Promise<Detector> {
  const entry = CATALOGUE[opts.variant];
  const size = opts.variant === 'blazeface-front-128' ? 128 : 256;
  const session = await openSession(entry);
  const input = session.inputNames[0]!;
  const [scoresA, scoresB, boxesA, boxesB] = session.outputNames as [string, string, string, string];

  return {
    models: [entry.id],
    async detect(img: RgbImage): Promise<Detection[]> {
      const lb = await letterbox(img, size);
      const tensor = new Float32Array(size * size * 3);
      for (let i = 0; i < tensor.length; i++) tensor[i] = lb.data[i]! / 127.5 - 1;
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
          const box = clampBox(lb.unmap({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }));
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
