/** Pipeline health of one camera for the status page: recent rate, latency and drops. */
export interface CameraHealth {
  processed: number;
  dropped: number;
  lastFrameAt: string | null;
  /** frames processed per second over the last few seconds */
  fps: number;
  /** decode-to-redacted time of recent frames, in ms */
  latencyMs: { p50: number; max: number } | null;
}

const WINDOW = 32;

/** Keeps the last few frames' times and latencies; constant memory per camera. */
export class CameraStats {
  private processed = 0;
  private dropped = 0;
  private readonly times: number[] = [];
  private readonly latencies: number[] = [];

  frame(at: number, latencyMs: number): void {
    this.processed++;
    this.times.push(at);
    this.latencies.push(latencyMs);
    if (this.times.length > WINDOW) this.times.shift();
    if (this.latencies.length > WINDOW) this.latencies.shift();
  }

  drop(): void {
    this.dropped++;
  }

  health(now: number): CameraHealth {
    const recent = this.times.filter((t) => now - t <= 10_000);
    const span = recent.length > 1 ? Math.max(1, (now - recent[0]!) / 1000) : 10;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      processed: this.processed,
      dropped: this.dropped,
      lastFrameAt: this.times.length ? new Date(this.times.at(-1)!).toISOString() : null,
      fps: Math.round((recent.length / span) * 10) / 10,
      latencyMs: sorted.length
        ? { p50: Math.round(sorted[Math.floor(sorted.length / 2)]!), max: Math.round(sorted.at(-1)!) }
        : null,
    };
  }
}
