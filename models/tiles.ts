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
 * covering the image, evenly spread. Neighbours overlap by at least a sixth of a tile, so any face
 * up to that size lies whole in one of them; larger faces are the whole-image pass's. The tiles
 * reach a twelfth of a tile past the image's edges (black there): the face models miss small faces
 * that touch the edge of their input, and people come into a camera's view at the edges. A side no
 * longer than a tile gets what room the tile has, centred. None when the image is small enough for
 * the whole-image pass alone. Places may start before 0 and end past the image.
 */
export function tilePlaces(width: number, height: number, side: number): TilePlace[] {
  if (side <= 0 || Math.max(width, height) <= side * 1.25) return [];
  const margin = Math.round(side / 12);
  const spread = (length: number): Array<[number, number]> => {
    if (length <= side) {
      const room = Math.min(margin, Math.floor((side - length) / 2));
      return [[-room, length + 2 * room]];
    }
    const padded = length + 2 * margin;
    const step = side - Math.floor(side / 6);
    const n = Math.ceil((padded - side) / step) + 1;
    return Array.from({ length: n }, (_, i) => [Math.round((i * (padded - side)) / (n - 1)) - margin, side]);
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
    const x0 = Math.round(p.x * scale);
    const y0 = Math.round(p.y * scale);
    const w = Math.min(input, Math.round(p.width * scale));
    const h = Math.min(input, Math.round(p.height * scale));
    const height = inputHeight({ width: w, height: h });
    const data = Buffer.alloc(input * height * 3); // black past the image's edges
    const [cx0, cx1] = [Math.max(0, x0), Math.min(sw, x0 + w)];
    for (let row = 0; row < Math.min(h, height); row++) {
      const sy = y0 + row;
      if (sy < 0 || sy >= sh || cx1 <= cx0) continue;
      scaled.copy(data, (row * input + cx0 - x0) * 3, (sy * sw + cx0) * 3, (sy * sw + cx1) * 3);
    }
    const ux = (v: number) => (x0 + v * input) / sw;
    const uy = (v: number) => (y0 + v * height) / sh;
    return { data, width: input, height, unmap: (b) => ({ x1: ux(b.x1), y1: uy(b.y1), x2: ux(b.x2), y2: uy(b.y2) }) };
  });
}

/** The same input mirrored left to right; boxes map back through the mirror. */
export function mirrored(lb: Letterboxed): Letterboxed {
  const { data: src, width, height } = lb;
  const data = Buffer.allocUnsafe(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) src.copy(data, row + (width - 1 - x) * 3, row + x * 3, row + x * 3 + 3);
  }
  const c = lb.content;
  return {
    data,
    width,
    height,
    unmap: (b) => lb.unmap({ x1: 1 - b.x2, y1: b.y1, x2: 1 - b.x1, y2: b.y2 }),
    ...(c && { content: { ...c, left: width - c.left - c.width } }),
  };
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
