import { createBlazeface } from './blazeface/detector.ts';
import type { Detector } from './detector.ts';
import { nms, type Detection, type RgbImage } from './image.ts';

export interface VisionOptions {
  faceThreshold: number;
  farFaceThreshold: number;
  personThreshold: number;
}

/**
 * Every detector the redaction needs, run on the same image and merged. If any model fails to
 * load, this rejects: the caller must then withhold frames (fail closed), not run with fewer models.
 */
export async function createVisionDetector(opts: VisionOptions): Promise<Detector> {
  const parts = await Promise.all([
    createBlazeface({ variant: 'blazeface-front-128', threshold: opts.faceThreshold }),
    createBlazeface({ variant: 'blazeface-back-256', threshold: opts.farFaceThreshold }),
  ]);
  return {
    models: parts.flatMap((p) => [...p.models]),
    async detect(img: RgbImage): Promise<Detection[]> {
      const all: Detection[] = [];
      for (const p of parts) all.push(...(await p.detect(img)));
      return nms(all, 0.3);
    },
    async close() {
      await Promise.all(parts.map((p) => p.close()));
    },
  };
}
