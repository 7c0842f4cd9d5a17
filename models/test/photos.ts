import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RgbImage } from '../image.ts';

/** The committed public-domain and CC0 photos (fixtures/photos/README.md has their sources). */
export const PHOTOS = fileURLToPath(new URL('../../fixtures/photos/', import.meta.url));

/** astronaut.png's face box, in its 512x512 pixels (fixtures/photos/README.md) */
export const ASTRONAUT_FACE = { x1: 173, y1: 74, x2: 277, y2: 178 } as const;
/** camera.png's face box (a greyscale three-quarter profile), in its 512x512 pixels */
export const CAMERAMAN_FACE = { x1: 180, y1: 120, x2: 260, y2: 200 } as const;

export async function rgb(input: string | Buffer): Promise<RgbImage> {
  const src = typeof input === 'string' && !input.includes('/') ? join(PHOTOS, input) : input;
  const { data, info } = await sharp(src)
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
