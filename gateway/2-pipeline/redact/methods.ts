import type { RgbImage } from '../../../models/index.ts';
import type { Region } from '../frame.ts';

export type RedactMethod = 'pixelate' | 'blur' | 'fill';

/**
 * Obscures a region in place on the raw RGB buffer, several times cheaper than sharp's extract,
 * blur and composite (docs/architecture.md, "Detection and redaction"). Coordinates are clipped.
 */
export function redactRegion(img: RgbImage, r: Region): void {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(img.width, Math.ceil(r.x + r.w));
  const y1 = Math.min(img.height, Math.ceil(r.y + r.h));
  if (x1 <= x0 || y1 <= y0) return;
  if (r.method === 'fill') fill(img, x0, y0, x1, y1);
  else if (r.method === 'pixelate') pixelate(img, x0, y0, x1, y1, r.strength);
  else blur(img, x0, y0, x1, y1, r.strength);
}

function fill(img: RgbImage, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y < y1; y++) img.data.fill(96, (y * img.width + x0) * 3, (y * img.width + x1) * 3);
}

/**
 * Blocks of at least 1/6 of the region's shorter side at strength 1 (too coarse for a face to be
 * recognised: tested on real photos), up to 1/2 at strength 5.
 */
function pixelate(img: RgbImage, x0: number, y0: number, x1: number, y1: number, strength: number): void {
  const block = Math.max(6, Math.ceil(Math.min(x1 - x0, y1 - y0) / (7 - strength)));
  const d = img.data;
  for (let by = y0; by < y1; by += block) {
    for (let bx = x0; bx < x1; bx += block) {
      const ey = Math.min(by + block, y1);
      const ex = Math.min(bx + block, x1);
      let r = 0,
        g = 0,
        b = 0;
      for (let y = by; y < ey; y++) {
        for (let x = bx, i = (y * img.width + bx) * 3; x < ex; x++, i += 3) {
          r += d[i]!;
          g += d[i + 1]!;
          b += d[i + 2]!;
        }
      }
      const n = (ey - by) * (ex - bx);
      r = Math.round(r / n);
      g = Math.round(g / n);
      b = Math.round(b / n);
      for (let y = by; y < ey; y++) {
        for (let x = bx, i = (y * img.width + bx) * 3; x < ex; x++, i += 3) {
          d[i] = r;
          d[i + 1] = g;
          d[i + 2] = b;
        }
      }
    }
  }
}

/** Three box-blur passes (close to a gaussian) with a radius of 1/4 of the shorter side at strength 1, 3/4 at 5. */
function blur(img: RgbImage, x0: number, y0: number, x1: number, y1: number, strength: number): void {
  const w = x1 - x0;
  const h = y1 - y0;
  const radius = Math.max(3, Math.ceil((Math.min(w, h) / 4) * (1 + (strength - 1) / 2)));
  const buf = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((y0 + y) * img.width + x0 + x) * 3;
      const t = (y * w + x) * 3;
      buf[t] = img.data[s]!;
      buf[t + 1] = img.data[s + 1]!;
      buf[t + 2] = img.data[s + 2]!;
    }
  }
  const tmp = new Float32Array(buf.length);
  for (let pass = 0; pass < 3; pass++) {
    boxPass(buf, tmp, radius, { len: w, step: 3, lines: h, lineStep: w * 3 }); // along rows
    boxPass(tmp, buf, radius, { len: h, step: w * 3, lines: w, lineStep: 3 }); // along columns
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const t = ((y0 + y) * img.width + x0 + x) * 3;
      img.data[t] = buf[s]!;
      img.data[t + 1] = buf[s + 1]!;
      img.data[t + 2] = buf[s + 2]!;
    }
  }
}

/** A running-sum box filter along one axis: `lines` lines of `len` RGB samples. */
function boxPass(
  src: Float32Array,
  dst: Float32Array,
  radius: number,
  axis: { len: number; step: number; lines: number; lineStep: number },
): void {
  const { len, step, lines, lineStep } = axis;
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < 3; c++) {
      const base = line * lineStep + c;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < Math.min(radius, len); i++) {
        sum += src[base + i * step]!;
        count++;
      }
      for (let i = 0; i < len; i++) {
        const add = i + radius;
        const drop = i - radius - 1;
        if (add < len) {
          sum += src[base + add * step]!;
          count++;
        }
        if (drop >= 0) {
          sum -= src[base + drop * step]!;
          count--;
        }
        dst[base + i * step] = sum / count;
      }
    }
  }
}
