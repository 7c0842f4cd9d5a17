import { growBox, type Detection, type RgbImage } from '../../models/index.ts';

const W = 64;
const H = 36;

/**
 * Skips detection on frames where nothing moved: each frame is reduced to a 64x36 grey thumbnail and
 * compared, cell by cell, with the last one the detector saw. Where no cell changed by `threshold`
 * grey levels (0-255) or more, the camera's last detections are reused, so redaction stays exactly
 * where it was; every `refreshFrames` frames the detector runs anyway, in case something changed
 * too slowly to notice. Cells, not the frame's mean: a person far away is a few cells of a frame.
 *
 * With `detectEvery` above 1, frames where something moved also reuse the last detections, except
 * every `detectEvery`-th: each box grows by `GROW_PER_FRAME` of its size per frame since it was
 * detected, on every side, so a walking person stays inside it until the detector looks again.
 * Movement of `NEW_OBJECT_CELLS` or more touching cells outside every box (someone arriving, or
 * leaving their box) runs the detector at once; smaller specks (a leaf, JPEG noise, feet below an
 * occluder) wait for the next scheduled detection.
 */
export class MotionGate {
  private readonly byCamera = new Map<
    string,
    { thumb: Float32Array; detections: Detection[]; width: number; height: number; sinceDetect: number }
  >();
  readonly stats = { detected: 0, reused: 0 };

  constructor(
    private readonly threshold: number,
    private readonly refreshFrames: number,
    private readonly detectEvery = 1,
  ) {}

  /** The detections to reuse for this frame, or null when the detector must run. */
  reuse(cameraId: string, img: RgbImage): Detection[] | null {
    const s = this.byCamera.get(cameraId);
    if (!s || s.width !== img.width || s.height !== img.height || s.sinceDetect + 1 >= this.refreshFrames) return null;
    const moved = changedCells(thumbnail(img), s.thumb, this.threshold);
    s.sinceDetect++;
    if (moved.length === 0) {
      this.stats.reused++;
      return s.detections;
    }
    if (s.sinceDetect >= this.detectEvery) return null;
    const boxes = s.detections.map((d) => ({ ...d, box: growBox(d.box, GROW_PER_FRAME * s.sinceDetect) }));
    if (largestGroup(moved.filter((c) => !boxes.some((d) => inside(c, d.box)))) >= NEW_OBJECT_CELLS) return null;
    this.stats.reused++;
    return boxes;
  }

  /** Records what the detector found on this frame. */
  detected(cameraId: string, img: RgbImage, detections: Detection[]): void {
    this.stats.detected++;
    this.byCamera.set(cameraId, {
      thumb: thumbnail(img),
      detections,
      width: img.width,
      height: img.height,
      sinceDetect: 0,
    });
  }
}

/** a person walking past a CCTV camera at 10 fps moves about a tenth of their width per frame */
const GROW_PER_FRAME = 0.15;

function thumbnail(img: RgbImage): Float32Array {
  const out = new Float32Array(W * H);
  const cw = img.width / W;
  const ch = img.height / H;
  // a few samples per cell is enough to notice movement, and cheap on a 1080p frame
  for (let ty = 0; ty < H; ty++) {
    for (let tx = 0; tx < W; tx++) {
      let sum = 0;
      for (let sy = 0; sy < 3; sy++) {
        for (let sx = 0; sx < 3; sx++) {
          const x = Math.min(img.width - 1, Math.floor((tx + (sx + 0.5) / 3) * cw));
          const y = Math.min(img.height - 1, Math.floor((ty + (sy + 0.5) / 3) * ch));
          const i = (y * img.width + x) * 3;
          sum += 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
        }
      }
      out[ty * W + tx] = sum / 9;
    }
  }
  return out;
}

/** a person 40 px tall in a 768x576 frame covers about 3 cells of 12x16 px */
const NEW_OBJECT_CELLS = 3;

/** the size of the largest 8-connected group among the given cells */
function largestGroup(cells: number[]): number {
  const left = new Set(cells);
  let best = 0;
  for (const start of cells) {
    if (!left.delete(start)) continue;
    const stack = [start];
    let size = 0;
    while (stack.length > 0) {
      const c = stack.pop()!;
      size++;
      const x = c % W;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const n = c + dy * W + dx;
          if (x + dx >= 0 && x + dx < W && left.delete(n)) stack.push(n);
        }
      }
    }
    best = Math.max(best, size);
  }
  return best;
}

/** indices of the thumbnail cells whose grey level changed by `threshold` or more */
function changedCells(a: Float32Array, b: Float32Array, threshold: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) >= threshold) out.push(i);
  return out;
}

/** whether a thumbnail cell's centre lies in a (normalized) box */
function inside(cell: number, b: Detection['box']): boolean {
  const x = ((cell % W) + 0.5) / W;
  const y = (Math.floor(cell / W) + 0.5) / H;
  return x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2;
}
