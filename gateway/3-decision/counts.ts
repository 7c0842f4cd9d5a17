import type { Candidate } from '../../policies/index.ts';
import type { Observation } from '../2-pipeline/index.ts';

interface Window {
  start: number;
  frames: number;
  peak: Record<string, number>;
  redactions: Record<string, number>;
  models: Set<string>;
}

/**
 * Turns per-frame observations into one counts record per camera per window: the most objects of
 * each class seen at once in any frame. Peaks, not sums: without tracking, a sum would count the
 * same person once per frame.
 */
export class CountsAggregator {
  private readonly windows = new Map<string, Window>();
  /** windows a later frame ended before the tick did: decided with the others at the next flush */
  private ended: Array<{ deviceId: string; w: Window; ms: number }> = [];

  constructor(private readonly settings: () => { intervalSeconds: number; classes: readonly string[] }) {}

  add(o: Observation): void {
    const ms = this.settings().intervalSeconds * 1000;
    const t = Date.parse(o.at);
    const start = Math.floor(t / ms) * ms;
    let w = this.windows.get(o.deviceId);
    if (w && w.start !== start) {
      this.ended.push({ deviceId: o.deviceId, w, ms });
      w = undefined;
    }
    if (!w) this.windows.set(o.deviceId, (w = { start, frames: 0, peak: {}, redactions: {}, models: new Set() }));
    w.frames++;
    for (const [cls, n] of Object.entries(o.counts)) w.peak[cls] = Math.max(w.peak[cls] ?? 0, n);
    for (const [cls, n] of Object.entries(o.redactions)) w.redactions[cls] = (w.redactions[cls] ?? 0) + n;
    for (const m of o.models) w.models.add(m);
  }

  /**
   * Windows that ended by `now` (all of them for Infinity), as candidates; a camera that went quiet
   * still gets its last window. Windows are aligned to the clock, so every camera's ends in the same
   * tick and their records share one commit of the outbox.
   */
  flush(now: number): Array<{ candidate: Candidate; redactions: Record<string, number>; models: string[] }> {
    const ms = this.settings().intervalSeconds * 1000;
    const out = this.ended.map(({ deviceId, w, ms: wms }) => ({
      candidate: this.toCandidate(deviceId, w, wms),
      redactions: w.redactions,
      models: [...w.models],
    }));
    this.ended = [];
    for (const [deviceId, w] of this.windows) {
      if (w.start + ms > now) continue;
      this.windows.delete(deviceId);
      out.push({ candidate: this.toCandidate(deviceId, w, ms), redactions: w.redactions, models: [...w.models] });
    }
    return out;
  }

  private toCandidate(deviceId: string, w: Window, ms: number): Candidate {
    const fields: Record<string, unknown> = {
      windowStart: new Date(w.start).toISOString(),
      windowEnd: new Date(w.start + ms).toISOString(),
      frames: w.frames,
    };
    for (const cls of this.settings().classes) fields[cls] = w.peak[cls] ?? 0;
    return { deviceId, deviceKind: 'camera', recordType: 'counts', fields };
  }
}
