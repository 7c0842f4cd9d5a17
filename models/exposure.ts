import type { Letterboxed } from './letterbox.ts';

/** How a frame is exposed, from the luma of a small copy of it (a model input). */
export interface Exposure {
  /** mean luma, 0-255 */
  mean: number;
  /** the 95th percentile of luma */
  p95: number;
  /** the share of pixels at or above 250: blown out, nothing left to find in them */
  blown: number;
}

/** Measured over the image's own pixels, not the black padding of a letterboxed input. */
export function exposureOf(lb: Pick<Letterboxed, 'data' | 'width' | 'height' | 'content'>): Exposure {
  const c = lb.content ?? { left: 0, top: 0, width: lb.width, height: lb.height };
  const rgb = lb.data;
  const hist = new Uint32Array(256);
  let sum = 0;
  for (let y = c.top; y < c.top + c.height; y++) {
    for (let x = c.left, i = (y * lb.width + x) * 3; x < c.left + c.width; x++, i += 3) {
      const v = (rgb[i]! * 77 + rgb[i + 1]! * 150 + rgb[i + 2]! * 29) >> 8;
      hist[v]!++;
      sum += v;
    }
  }
  const n = Math.max(1, c.width * c.height);
  let seen = 0;
  let p95 = 255;
  for (let v = 0; v < 256; v++) {
    seen += hist[v]!;
    if (seen >= n * 0.95) {
      p95 = v;
      break;
    }
  }
  let blown = 0;
  for (let v = 250; v < 256; v++) blown += hist[v]!;
  return { mean: sum / n, p95, blown: blown / n };
}

/**
 * Thresholds measured on the committed photos and on vtest.avi (docs/performance.md, "Redaction
 * robustness"): well-exposed scenes have a mean luma of 100-130 and under 2% blown pixels.
 */
const BRIGHT_MEAN = 170;
const BRIGHT_BLOWN = 0.2;
const DARK_MEAN = 60;
const DARK_P95 = 90;
/** past this share of blown pixels a face can be gone without trace: the frame is not searched, it is redacted whole */
export const UNSEARCHABLE_BLOWN = 0.5;

/**
 * A copy of an over- or under-exposed input with its tones spread out again, for the detectors
 * only (redaction applies to the original pixels), or null when the exposure is fine.
 * Bright: a power curve darkens the highlights where a backlit face sits. Dark: a linear stretch
 * of luma's range to the full one.
 */
export function exposureCorrected(rgb: Buffer, e: Exposure): Buffer | null {
  let lut: Uint8Array;
  if (e.mean > BRIGHT_MEAN || e.blown > BRIGHT_BLOWN) {
    lut = Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * (v / 255) ** 3));
  } else if (e.mean < DARK_MEAN || e.p95 < DARK_P95) {
    const top = Math.max(16, e.p95);
    lut = Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.round((v * 255) / top)));
  } else return null;
  const out = Buffer.allocUnsafe(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = lut[rgb[i]!]!;
  return out;
}
