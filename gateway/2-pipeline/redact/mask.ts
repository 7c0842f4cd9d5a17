import type { RgbImage } from '../../../models/index.ts';

/** A privacy mask: a polygon in normalized coordinates (0..1 of width and height), e.g. a home's window. */
export type MaskPolygon = ReadonlyArray<readonly [number, number]>;

const MASK_GREY = 96;

/**
 * Fills each polygon with solid grey (even-odd scanline fill at pixel centres). Masks are applied
 * right after decoding, before the detectors see the frame: what is behind them is never looked at.
 */
export function applyMasks(img: RgbImage, masks: readonly MaskPolygon[]): number {
  for (const poly of masks) {
    const pts = poly.map(([x, y]) => [x * img.width, y * img.height] as const);
    const ys = pts.map((p) => p[1]);
    const yMin = Math.max(0, Math.floor(Math.min(...ys)));
    const yMax = Math.min(img.height - 1, Math.ceil(Math.max(...ys)));
    for (let y = yMin; y <= yMax; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < pts.length; i++) {
        const [x1, y1] = pts[i]!;
        const [x2, y2] = pts[(i + 1) % pts.length]!;
        if ((y1 <= cy && y2 > cy) || (y2 <= cy && y1 > cy)) xs.push(x1 + ((cy - y1) / (y2 - y1)) * (x2 - x1));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.round(xs[k]!));
        const to = Math.min(img.width, Math.round(xs[k + 1]!));
        if (to > from) img.data.fill(MASK_GREY, (y * img.width + from) * 3, (y * img.width + to) * 3);
      }
    }
  }
  return masks.length;
}
