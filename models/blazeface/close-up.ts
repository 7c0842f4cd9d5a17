import sharp from 'sharp';
import type { Box, RgbImage } from '../image.ts';
import type { Letterboxed } from '../letterbox.ts';

/** How much of the image around a candidate the close-up holds: three times its size, a head and its surroundings. */
const CONTEXT = 3;

/**
 * The image around a candidate face (a box in the image's 0-1 coordinates): a square CONTEXT times
 * the box's larger side, centred on it and moved inside the image, scaled to `side` pixels a side.
 * What the near model needs to judge a face that is too small for it in the whole frame. Boxes map
 * back to the whole image.
 */
export async function closeUp(img: RgbImage, box: Box, side: number): Promise<Letterboxed> {
  const boxPx = Math.max((box.x2 - box.x1) * img.width, (box.y2 - box.y1) * img.height);
  const size = Math.max(1, Math.min(img.width, img.height, Math.round(CONTEXT * boxPx)));
  const at = (centre: number, length: number) => Math.max(0, Math.min(length - size, Math.round(centre - size / 2)));
  const left = at(((box.x1 + box.x2) / 2) * img.width, img.width);
  const top = at(((box.y1 + box.y2) / 2) * img.height, img.height);
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
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
