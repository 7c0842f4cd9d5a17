import sharp from 'sharp';

export type PixelBox = { x1: number; y1: number; x2: number; y2: number };

/** Mean absolute difference per channel inside a pixel box of two same-sized RGB images. */
export async function changeInside(a: Buffer, b: Buffer, box: PixelBox): Promise<number> {
  const ra = await sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rb = await sharp(b).removeAlpha().raw().toBuffer();
  let sum = 0;
  let n = 0;
  for (let y = box.y1; y < box.y2; y++) {
    for (let x = box.x1; x < box.x2; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * ra.info.width + x) * 3 + c;
        sum += Math.abs(ra.data[i]! - rb[i]!);
        n++;
      }
    }
  }
  return sum / n;
}

/** Detail left in a region: mean absolute difference between neighbouring pixels. */
export async function detailInside(img: Buffer, box: PixelBox): Promise<number> {
  const { data, info } = await sharp(img).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let n = 0;
  for (let y = box.y1; y < box.y2; y++) {
    for (let x = box.x1; x < box.x2 - 1; x++) {
      sum += Math.abs(data[y * info.width + x]! - data[y * info.width + x + 1]!);
      n++;
    }
  }
  return sum / n;
}
