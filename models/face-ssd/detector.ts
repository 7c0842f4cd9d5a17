import { CATALOGUE, type ModelEntry } from '../catalogue.ts';
import { clampBox, nms, type Detection } from '../image.ts';
import type { Letterboxed } from '../letterbox.ts';
import { openSession, ort } from '../session.ts';
import { verifyModel } from '../verify.ts';
import { FACE_SSD_SIDE } from './look.ts';

/** face-api.js's SSD face detector at FACE_SSD_SIDE (see convert.ts): the look at a small face's square. */
export interface FaceSsd {
  id: string;
  side: number;
  /** faces scoring at least `threshold` in a FACE_SSD_SIDE square input, boxes mapped back through it */
  detect(input: Letterboxed, threshold: number): Promise<Detection[]>;
  close(): Promise<void>;
}

/**
 * The model is verified (and built if need be) here, so that a broken install fails at start, but
 * its session is made at the first look: most cameras' frames never need tiles, and a frame worker
 * would otherwise hold its 22 MB of weights for nothing. A session that fails to load rejects that
 * look (the frame is withheld), and the next look tries again.
 */
export async function openFaceSsd(entry: ModelEntry = CATALOGUE['face-ssd-mobilenetv1-256']): Promise<FaceSsd> {
  await verifyModel(entry);
  let loaded: Promise<{ session: ort.InferenceSession; anchors: Float32Array }> | undefined;
  const load = () => {
    if (!loaded) {
      loaded = (async () => {
        const session = await openSession(entry);
        const blank = new Float32Array(FACE_SSD_SIDE * FACE_SSD_SIDE * 3);
        // the anchors are the model's own output, the same for every input
        const out = await session.run({
          image: new ort.Tensor('float32', blank, [1, FACE_SSD_SIDE, FACE_SSD_SIDE, 3]),
        });
        return { session, anchors: out.anchors!.data as Float32Array };
      })();
      loaded.catch(() => (loaded = undefined));
    }
    return loaded;
  };
  return {
    id: entry.id,
    side: FACE_SSD_SIDE,
    async detect(lb, threshold) {
      if (lb.width !== FACE_SSD_SIDE || lb.height !== FACE_SSD_SIDE)
        throw new Error(`${entry.id}: input ${lb.width}x${lb.height} for a ${FACE_SSD_SIDE} model`);
      const { session, anchors } = await load();
      const out = await session.run(
        { image: new ort.Tensor('float32', Float32Array.from(lb.data), [1, lb.height, lb.width, 3]) },
        ['scores', 'encodings'],
      );
      const scores = out.scores!.data as Float32Array;
      const enc = out.encodings!.data as Float32Array;
      const found: Detection[] = [];
      for (let a = 0; a < scores.length; a++) {
        const score = scores[a]!;
        if (score < threshold) continue;
        // TF's box coder: centre offsets in tenths, log sizes in fifths of the anchor's
        const [y1, x1, y2, x2] = [anchors[a * 4]!, anchors[a * 4 + 1]!, anchors[a * 4 + 2]!, anchors[a * 4 + 3]!];
        const [ah, aw] = [y2 - y1, x2 - x1];
        const cy = (enc[a * 4]! / 10) * ah + y1 + ah / 2;
        const cx = (enc[a * 4 + 1]! / 10) * aw + x1 + aw / 2;
        const h = Math.exp(enc[a * 4 + 2]! / 5) * ah;
        const w = Math.exp(enc[a * 4 + 3]! / 5) * aw;
        const box = clampBox(lb.unmap({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }));
        if (box.x2 > box.x1 && box.y2 > box.y1) found.push({ cls: 'face', score, box, model: entry.id });
      }
      return nms(found, 0.3);
    },
    async close() {
      const model = await loaded?.catch(() => undefined);
      await model?.session.release();
    },
  };
}
