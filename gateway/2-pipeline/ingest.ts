import { FrameError, type FrameData, type FrameDropCode, type Observation, type Snapshot } from './frame.ts';
import { CameraStats, type CameraHealth } from './camera-stats.ts';
import type { FrameRunner } from './runner.ts';
import type { FrameSettings } from './workers/protocol.ts';

export interface IngestEvents {
  observation(o: Observation, snapshot: Snapshot | null, preview: Snapshot | null, reused: boolean): void;
  dropped(deviceId: string, code: FrameDropCode, detail: string): void;
}

/**
 * Frames from each camera wait in a small queue and are processed one at a time per camera.
 * When a camera sends faster than we can process, the oldest waiting frame is dropped and counted:
 * the newest view matters most, and memory stays bounded.
 */
export class FrameIngest {
  private readonly queues = new Map<string, { frames: Array<{ frame: FrameData; at: Date }>; busy: boolean }>();
  readonly stats = { processed: 0, dropped: {} as Partial<Record<FrameDropCode, number>>, detected: 0, reused: 0 };
  private idleWaiters: Array<() => void> = [];
  private readonly cameras = new Map<string, CameraStats>();

  constructor(
    private readonly runner: FrameRunner,
    /** read per frame: a policy reload changes redaction from the next frame on */
    private readonly settings: (deviceId: string, at: Date) => FrameSettings,
    private readonly queueLength: number,
    private readonly on: IngestEvents,
  ) {}

  submit(deviceId: string, frame: FrameData, at = new Date()): void {
    let q = this.queues.get(deviceId);
    if (!q) this.queues.set(deviceId, (q = { frames: [], busy: false }));
    q.frames.push({ frame, at });
    while (q.frames.length > this.queueLength) {
      q.frames.shift();
      this.drop(deviceId, 'QUEUE_OVERFLOW', '');
    }
    if (!q.busy) void this.drainCamera(deviceId, q);
  }

  private async drainCamera(
    deviceId: string,
    q: { frames: Array<{ frame: FrameData; at: Date }>; busy: boolean },
  ): Promise<void> {
    q.busy = true;
    for (let next = q.frames.shift(); next; next = q.frames.shift()) {
      try {
        const started = performance.now();
        const { observation, snapshot, preview, reused } = await this.runner.run(
          deviceId,
          next.frame,
          next.at,
          this.settings(deviceId, next.at),
        );
        this.stats.processed++;
        if (reused) this.stats.reused++;
        else this.stats.detected++;
        this.cameraStats(deviceId).frame(Date.now(), performance.now() - started);
        this.on.observation(observation, snapshot, preview, reused);
      } catch (e) {
        if (e instanceof FrameError) this.drop(deviceId, e.code, e.message);
        else this.drop(deviceId, 'REDACT_FAILED', (e as Error).message);
      }
    }
    q.busy = false;
    if ([...this.queues.values()].every((x) => !x.busy)) for (const w of this.idleWaiters.splice(0)) w();
  }

  private drop(deviceId: string, code: FrameDropCode, detail: string): void {
    this.stats.dropped[code] = (this.stats.dropped[code] ?? 0) + 1;
    this.cameraStats(deviceId).drop();
    this.on.dropped(deviceId, code, detail);
  }

  private cameraStats(deviceId: string): CameraStats {
    let s = this.cameras.get(deviceId);
    if (!s) this.cameras.set(deviceId, (s = new CameraStats()));
    return s;
  }

  /** Each camera that sent a frame since start, with its recent rate, latency and drops. */
  health(now = Date.now()): Record<string, CameraHealth> {
    return Object.fromEntries([...this.cameras].map(([id, s]) => [id, s.health(now)]));
  }

  /** Resolves when every queued frame has been processed or dropped. */
  idle(): Promise<void> {
    if ([...this.queues.values()].every((q) => !q.busy && q.frames.length === 0)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
