import sharp from 'sharp';
import type { RgbImage } from './image.ts';
import type { Letterboxed } from './letterbox.ts';

/** A tile's place in the image it was cut from, in that image's pixels. */
export interface TilePlace {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Overlapping tiles of `side` pixels (or the image's own width or height where it is smaller)
 * covering the image, evenly spread. Neighbours overlap by a quarter of a tile, so any face up
 * to that size lies whole in one of them; larger faces are the whole-image pass's.
 * None when the image is small enough for that pass alone.
 */
export function tilePlaces(width: number, height: number, side: number): TilePlace[] {
  if (side <= 0 || Math.max(width, height) <= side * 1.25) return [];
  const spread = (length: number): Array<[number, number]> => {
    if (length <= side) return [[0, length]];
    const step = side - Math.floor(side / 4);
    const n = Math.ceil((length - side) / step) + 1;
    return Array.from({ length: n }, (_, i) => [Math.round((i * (length - side)) / (n - 1)), side]);
  };
  return spread(height).flatMap(([y, h]) => spread(width).map(([x, w]) => ({ x, y, width: w, height: h })));
}

/**
 * The image scaled once so that a `side`-pixel tile becomes `input` pixels, then cut into model
 * inputs `input` wide: each tile at the top left of its input, the rest black. Boxes map back to
 * the whole image.
 */
export async function tileInputs(
  img: RgbImage,
  side: number,
  input: number,
  inputHeight: (tile: { width: number; height: number }) => number,
): Promise<Letterboxed[]> {
  const places = tilePlaces(img.width, img.height, side);
  if (places.length === 0) return [];
  const scale = input / side;
  const sw = Math.max(1, Math.round(img.width * scale));
  const sh = Math.max(1, Math.round(img.height * scale));
  const scaled = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(sw, sh, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return places.map((p) => {
    const x0 = Math.min(sw - 1, Math.round(p.x * scale));
    const y0 = Math.min(sh - 1, Math.round(p.y * scale));
    const w = Math.min(input, sw - x0, Math.round(p.width * scale));
    const h = Math.min(input, sh - y0, Math.round(p.height * scale));
    const height = inputHeight({ width: w, height: h });
    const data = Buffer.alloc(input * height * 3);
    for (let row = 0; row < Math.min(h, height); row++)
      scaled.copy(data, row * input * 3, ((y0 + row) * sw + x0) * 3, ((y0 + row) * sw + x0 + w) * 3);
    const ux = (v: number) => (x0 + v * input) / sw;
    const uy = (v: number) => (y0 + v * height) / sh;
    return { data, width: input, height, unmap: (b) => ({ x1: ux(b.x1), y1: uy(b.y1), x2: ux(b.x2), y2: uy(b.y2) }) };
  });
}

/** The same input turned upside down (180 degrees); boxes map back through the turn. */
export function turned(lb: Letterboxed): Letterboxed {
  const src = lb.data;
  const data = Buffer.allocUnsafe(src.length);
  const n = src.length / 3;
  for (let i = 0; i < n; i++) {
    const from = i * 3;
    const to = (n - 1 - i) * 3;
    data[to] = src[from]!;
    data[to + 1] = src[from + 1]!;
    data[to + 2] = src[from + 2]!;
  }
  return {
    data,
    width: lb.width,
    height: lb.height,
    unmap: (b) => lb.unmap({ x1: 1 - b.x2, y1: 1 - b.y2, x2: 1 - b.x1, y2: 1 - b.y1 }),
  };
}
