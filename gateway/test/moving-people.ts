import sharp from 'sharp';
import { connectedComponents } from '../../models/index.ts';
import type { PixelBox } from './image-metrics.ts';

/**
 * Ground truth for CCTV tests that does not come from the detector under test: people walking in
 * front of a fixed camera are the upright regions that differ from the scene's background (the
 * per-pixel median over the frames). Small or wide regions (legs only, shadows, a flapping bag)
 * and regions cut by the frame's edge are left out. Returns, per frame, the boxes of the walking people in pixels.
 * The background is
 * the median of `spread` (frames far apart, so that nobody stands in one place in most of them).
 */
export async function movingPeople(
  frames: readonly Buffer[],
  spread: readonly Buffer[] = frames,
): Promise<PixelBox[][]> {
  const grey = (f: Buffer) => sharp(f).greyscale().raw().toBuffer({ resolveWithObject: true });
  const samples = await Promise.all(spread.map(grey));
  const greys = await Promise.all(frames.map(grey));
  const { width, height } = greys[0]!.info;
  const background = new Uint8Array(width * height);
  const column = new Array<number>(samples.length);
  for (let i = 0; i < background.length; i++) {
    for (let k = 0; k < samples.length; k++) column[k] = samples[k]!.data[i]!;
    column.sort((a, b) => a - b);
    background[i] = column[samples.length >> 1]!;
  }
  return greys.map(({ data }) => {
    const moved = new Float32Array(width * height);
    for (let i = 0; i < moved.length; i++) moved[i] = Math.abs(data[i]! - background[i]!) > 35 ? 1 : 0;
    return (
      connectedComponents(moved, width, height, 0.5)
        // upright, at least 36 px tall (shorter ones here are legs below an occluding sign), and wholly
        // in view: someone half out of the frame may have no head in it yet
        .filter(
          (c) =>
            c.pixels > 120 &&
            c.y2 - c.y1 >= 36 &&
            c.y2 - c.y1 > 1.3 * (c.x2 - c.x1) &&
            c.x1 > 0 &&
            c.x2 < width &&
            c.y2 < height,
        )
        .map(({ x1, y1, x2, y2 }) => ({ x1, y1, x2, y2 }))
    );
  });
}
