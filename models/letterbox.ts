import sharp from 'sharp';
import type { Box, RgbImage } from './image.ts';

/** A square model input made from an image without distorting it, and the way back. */
export interface Letterboxed {
  /** RGB bytes, size x size x 3 */
  data: Buffer;
  size: number;
  /** maps a box in letterboxed-normalized coordinates back to image-normalized ones */
  unmap(b: Box): Box;
}

export async function letterbox(img: RgbImage, size: number): Promise<Letterboxed> {
  const scale = Math.min(size / img.width, size / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const left = Math.floor((size - w) / 2);
  const top = Math.floor((size - h) / 2);
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .extend({ left, top, right: size - w - left, bottom: size - h - top, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  const ux = (v: number) => (v * size - left) / w;
  const uy = (v: number) => (v * size - top) / h;
  return { data, size, unmap: (b) => ({ x1: ux(b.x1), y1: uy(b.y1), x2: ux(b.x2), y2: uy(b.y2) }) };
}

/** The same letterboxed input at half the side, each pixel the mean of four; boxes map back the same way. */
export function halve(lb: Letterboxed): Letterboxed {
  const size = lb.size >> 1;
  const src = lb.data;
  const stride = lb.size * 3;
  const data = Buffer.allocUnsafe(size * size * 3);
  for (let y = 0, o = 0; y < size; y++) {
    for (let x = 0, i = 2 * y * stride; x < size; x++, i += 3) {
      for (let c = 0; c < 3; c++, o++, i++) data[o] = (src[i]! + src[i + 3]! + src[i + stride]! + src[i + stride + 3]! + 2) >> 2;
    }
  }
  return { data, size, unmap: lb.unmap };
}
