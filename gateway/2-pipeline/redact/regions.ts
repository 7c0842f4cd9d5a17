import { headBand, UNSEARCHABLE, type Detection } from '../../../models/index.ts';
import type { RedactChoice } from '../../../policies/index.ts';
import type { Region } from '../frame.ts';

/** The policy's redaction choice per class (policies/schema.ts VisionSettings.redact). */
export interface Redaction {
  face: RedactChoice;
  person: RedactChoice & { region: 'head' | 'body' };
  text: RedactChoice;
}

/**
 * What to obscure, from what was detected. Faces, text, and the head (or, if the policy says so,
 * the whole body) of every person: on real CCTV faces are 10-20 px and face detectors miss them
 * (docs/architecture.md, "Detection and redaction"), so the top of each person box is redacted
 * whether or not a face was found.
 * Vehicles themselves are not redacted; their plates are text.
 */
export function regionsFor(dets: readonly Detection[], width: number, height: number, redaction: Redaction): Region[] {
  const out: Region[] = [];
  for (const d of dets) {
    if (d.model === UNSEARCHABLE) {
      out.push({
        x: 0,
        y: 0,
        w: width,
        h: height,
        cls: 'frame',
        method: redaction.face.method,
        strength: redaction.face.strength,
      });
      continue;
    }
    const bw = (d.box.x2 - d.box.x1) * width;
    const bh = (d.box.y2 - d.box.y1) * height;
    const x = d.box.x1 * width;
    const y = d.box.y1 * height;
    if (d.cls === 'face' || d.cls === 'text') out.push(grow({ x, y, w: bw, h: bh }, d.cls, redaction[d.cls]));
    else if (d.cls === 'person') {
      const choice = redaction.person;
      if (choice.region === 'body') {
        out.push(grow({ x, y, w: bw, h: bh }, 'person', choice));
        continue;
      }
      const band = headBand(d.box, width, height);
      out.push(grow({ x, y, w: bw, h: (band.y2 - band.y1) * height }, 'head', choice));
    }
  }
  return out;
}

function grow(r: { x: number; y: number; w: number; h: number }, cls: Region['cls'], choice: RedactChoice): Region {
  const m = choice.marginPercent / 100;
  const dx = r.w * m;
  const dy = r.h * m;
  return {
    x: r.x - dx,
    y: r.y - dy,
    w: r.w + 2 * dx,
    h: r.h + 2 * dy,
    cls,
    method: choice.method,
    strength: choice.strength,
  };
}
