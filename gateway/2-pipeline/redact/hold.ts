import type { Region } from '../frame.ts';

const MAX_REGIONS_PER_FRAME = 64;

/**
 * Temporal consistency: a region redacted in one frame stays redacted for the next `frames` frames
 * of that camera, even where the detector misses it, so one missed detection does not expose a
 * face. Held regions are marked, so they are not counted as new detections. Bounded memory: a few
 * frames of regions per camera; a change of resolution forgets what was held.
 */
export class RegionHold {
  private readonly byCamera = new Map<
    string,
    { width: number; height: number; recent: Array<{ regions: Region[]; left: number }> }
  >();

  constructor(private readonly frames: number) {}

  /** The regions to redact in this frame: its own, plus those still held from earlier frames. */
  apply(cameraId: string, width: number, height: number, current: readonly Region[]): Region[] {
    if (this.frames <= 0) return [...current];
    let s = this.byCamera.get(cameraId);
    if (!s || s.width !== width || s.height !== height)
      this.byCamera.set(cameraId, (s = { width, height, recent: [] }));
    const held = s.recent.flatMap((r) => r.regions).map((r) => ({ ...r, held: true }));
    s.recent = s.recent.map((r) => ({ regions: r.regions, left: r.left - 1 })).filter((r) => r.left > 0);
    const own = current.filter((r) => !r.held).slice(0, MAX_REGIONS_PER_FRAME);
    if (own.length > 0) s.recent.push({ regions: own, left: this.frames });
    return [...current, ...held];
  }
}
