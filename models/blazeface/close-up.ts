import sharp from 'sharp';
import type { Box, RgbImage } from '../image.ts';
import type { Letterboxed } from '../letterbox.ts';

/** How much of the image around a candidate the close-up holds: three times its size, a head and its surroundings. */
const CONTEXT = 3;

/** the larger side of a box (0-1 coordinates) in the image's pixels */
export const boxPixels = (img: { width: number; height: number }, box: Box) =>
  Math.max((box.x2 - box.x1) * img.width, (box.y2 - box.y1) * img.height);

/**
 * Whether the close-up of a candidate grows it (its square is smaller than `side`): a few thousand
 * pixels interpolated here, where a larger square is cut and shrunk by sharp.
 */
export const magnifies = (img: { width: number; height: number }, box: Box, side: number) =>
  CONTEXT * boxPixels(img, box) < side;

/**
 * The image around a candidate face (a box in the image's 0-1 coordinates): a square CONTEXT times
 * the box's larger side, centred on it and moved inside the image, scaled to `side` pixels a side.
 * What the near model needs to judge a face that is too small for it in the whole frame. Boxes map
 * back to the whole image.
 */
export function closeUp(img: RgbImage, box: Box, side: number): Promise<Letterboxed> {
  return squareAround(img, box, CONTEXT * boxPixels(img, box), side);
}

/**
 * The square of `px` image pixels a side centred on a box (moved inside the image, and never larger
 * than it), scaled to `side` pixels a side. Boxes map back to the whole image.
 */
export async function squareAround(img: RgbImage, box: Box, px: number, side: number): Promise<Letterboxed> {
  const size = Math.max(1, Math.min(img.width, img.height, Math.round(px)));
  const at = (centre: number, length: number) => Math.max(0, Math.min(length - size, Math.round(centre - size / 2)));
  const left = at(((box.x1 + box.x2) / 2) * img.width, img.width);
  const top = at(((box.y1 + box.y2) / 2) * img.height, img.height);
  const data =
    size < side
      ? grown(img, left, top, size, side)
      : await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
          .extract({ left, top, width: size, height: size })
          .resize(side, side, { fit: 'fill', kernel: 'linear' })
          .raw()
          .toBuffer();
  const ux = (v: number) => (left + v * size) / img.width;
  const uy = (v: number) => (top + v * size) / img.height;
  return {
    data,
    width: side,
    height: side,
    unmap: (b) => ({ x1: ux(b.x1), y1: uy(b.y1), x2: ux(b.x2), y2: uy(b.y2) }),
  };
}

/**
 * The square at (left, top), `size` pixels a side, grown to the larger `side` by bilinear
 * interpolation at the places libvips samples (output pixel o at o * size / side - 1/2): the bytes
 * sharp's linear resize gives, which the close-up thresholds were measured on, at a third of its
 * cost for the few thousand pixels of a close-up of a small face (docs/performance.md, "Close-ups
 * from 0.3"). A square already `side` wide is sharp's to copy: interpolating it would blur it.
 */
function grown(img: RgbImage, left: number, top: number, size: number, side: number): Buffer {
  const src = img.data;
  const out = Buffer.allocUnsafe(side * side * 3);
  const first = new Int32Array(side);
  const frac = new Float64Array(side);
  for (let o = 0; o < side; o++) {
    const f = Math.min(size - 1, Math.max(0, (o * size) / side - 0.5));
    first[o] = Math.min(Math.floor(f), Math.max(0, size - 2));
    frac[o] = f - first[o]!;
  }
  const stride = img.width * 3;
  const next = size > 1 ? 3 : 0;
  for (let oy = 0, o = 0; oy < side; oy++) {
    const y1 = frac[oy]!;
    const y0 = 1 - y1;
    const row = (top + first[oy]!) * stride + left * 3;
    const below = size > 1 ? stride : 0;
    for (let ox = 0; ox < side; ox++) {
      const x1 = frac[ox]!;
      const x0 = 1 - x1;
      const a = row + first[ox]! * 3;
      const c = a + below;
      // a Uint8Array store truncates: + 0.5 rounds
      for (let k = 0; k < 3; k++, o++)
        out[o] =
          (src[a + k]! * x0 + src[a + k + next]! * x1) * y0 + (src[c + k]! * x0 + src[c + k + next]! * x1) * y1 + 0.5;
    }
  }
  return out;
}
