import type { Detection } from '../../../models/index.ts';
import type { Region } from '../frame.ts';

/**
 * What to obscure, from what was detected. Faces, and the head of every person: on real CCTV
 * faces are 10-20 px and face detectors miss them (DESIGN.md section 4), so the top of each
 * person box is redacted whether or not a face was found there.
 */
export function regionsFor(dets: readonly Detection[], width: number, height: number, marginPercent: number): Region[] {
  const m = marginPercent / 100;
  const out: Region[] = [];
  for (const d of dets) {
    const bw = (d.box.x2 - d.box.x1) * width;
    const bh = (d.box.y2 - d.box.y1) * height;
    const x = d.box.x1 * width;
    const y = d.box.y1 * height;
    if (d.cls === 'face') out.push(grow({ x, y, w: bw, h: bh, cls: 'face' }, m));
    else if (d.cls === 'person') {
      // the head is about the top seventh of a standing person; a quarter leaves room for pose and box error
      const headH = Math.max(bh * 0.25, bw * 0.5);
      out.push(grow({ x, y, w: bw, h: Math.min(headH, bh), cls: 'head' }, m));
    }
  }
  return out;
}

function grow(r: Region, m: number): Region {
  const dx = r.w * m;
  const dy = r.h * m;
  return { x: r.x - dx, y: r.y - dy, w: r.w + 2 * dx, h: r.h + 2 * dy, cls: r.cls };
}
