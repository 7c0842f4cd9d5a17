import type { Detection, RgbImage } from '../../models/index.ts';

const W = 64;
const H = 36;

/**
 * Skips detection on frames where nothing moved: each frame is reduced to a 64x36 grey thumbnail and
 * compared with the last one the detector saw. Below `threshold` (mean absolute difference, 0-255)
 * the camera's last detections are reused, so redaction stays exactly where it was; every
 * `refreshFrames` frames the detector runs anyway, in case something changed too slowly to notice.
 */
export class MotionGate {
  private readonly byCamera = new Map<string, { thumb: Float32Array; detections: Detection[]; width: number; height: number; sinceDetect: number }>();
  readonly stats = { detected: 0, reused: 0 };

  constructor(
    private readonly threshold: number,
    private readonly refreshFrames: number,
  ) {}

  /** The detections to reuse for this frame, or null when the detector must run. */
  reuse(cameraId: string, img: RgbImage): Detection[] | null {
    const s = this.byCamera.get(cameraId);
    if (!s || s.width !== img.width || s.height !== img.height || s.sinceDetect + 1 >= this.refreshFrames) return null;
    if (difference(thumbnail(img), s.thumb) >= this.threshold) return null;
    s.sinceDetect++;
    this.stats.reused++;
    return s.detections;
  }

  /** Records what the detector found on this frame. */
  detected(cameraId: string, img: RgbImage, detections: Detection[]): void {
    this.stats.detected++;
    this.byCamera.set(cameraId, { thumb: thumbnail(img), detections, width: img.width, height: img.height, sinceDetect: 0 });
  }
}

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

function difference(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!);
  return d / a.length;
}
