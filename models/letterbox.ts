import sharp from 'sharp';
import type { Box, RgbImage } from './image.ts';

/** A model input made from an image without distorting it, and the way back. */
export interface Letterboxed {
  /** RGB bytes, width x height x 3 */
  data: Buffer;
  width: number;
  height: number;
  /** maps a box in letterboxed-normalized coordinates back to image-normalized ones */
  unmap(b: Box): Box;
  /** where the image lies in the input, in input pixels (the rest is black padding); the whole input when absent */
  content?: { left: number; top: number; width: number; height: number };
}

/** The image scaled to fit `width` x `height` (square when no height is given), centred on black. */
export async function letterbox(img: RgbImage, width: number, height = width): Promise<Letterboxed> {
  const scale = Math.min(width / img.width, height / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .extend({ left, top, right: width - w - left, bottom: height - h - top, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  const ux = (v: number) => (v * width - left) / w;
  const uy = (v: number) => (v * height - top) / h;
  return {
    data,
    width,
    height,
    unmap: (b) => ({ x1: ux(b.x1), y1: uy(b.y1), x2: ux(b.x2), y2: uy(b.y2) }),
    content: { left, top, width: w, height: h },
  };
}

/**
 * The same letterboxed input at half the size (even sides), each pixel the mean of four; boxes map back the same way.
 */
export function halve(lb: Letterboxed): Letterboxed {
  const width = lb.width >> 1;
  const height = lb.height >> 1;
  const src = lb.data;
  const stride = lb.width * 3;
  const data = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0, i = 2 * y * stride; x < width; x++, i += 3) {
      for (let c = 0; c < 3; c++, o++, i++)
        data[o] = (src[i]! + src[i + 3]! + src[i + stride]! + src[i + stride + 3]! + 2) >> 2;
    }
  }
  return { data, width, height, unmap: lb.unmap };
}
