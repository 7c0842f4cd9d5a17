import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../../models/index.ts';

/** How a camera is mounted, as its frames arrive: what turns them upright (config: vision.orientation). */
export interface Orientation {
  /** degrees clockwise */
  rotate: 0 | 90 | 180 | 270;
  /** mirrored left to right, after the rotation */
  flip: boolean;
}

/**
 * The frame turned upright, before masks and detectors: the face models find faces the right way
 * up, and snapshots come out as a person would look at them. Masks are drawn on the upright frame.
 */
export async function upright(img: RgbImage, o: Orientation | undefined): Promise<RgbImage> {
  if (!o || (o.rotate === 0 && !o.flip)) return img;
  let out = img;
  const raw = (i: RgbImage) => sharp(i.data, { raw: { width: i.width, height: i.height, channels: 3 } });
  const read = async (s: Sharp): Promise<RgbImage> => {
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };
  // rotate, then mirror: two calls, so the order is the documented one whatever sharp's own is
  if (o.rotate !== 0) out = await read(raw(out).rotate(o.rotate));
  if (o.flip) out = await read(raw(out).flop());
  return out;
}
