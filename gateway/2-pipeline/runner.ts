import type { Detector } from '../../models/index.ts';
import type { FrameData, Observation, Snapshot } from './frame.ts';
import type { MotionGate } from './motion-gate.ts';
import type { RegionHold } from './redact/hold.ts';
import type { MaskPolygon } from './redact/mask.ts';
import { runPipeline } from './run.ts';
import type { FrameSettings } from './workers/protocol.ts';

/** What leaves the pipeline for one frame: the observation and JPEGs made from the redacted image. */
export interface FrameOutput {
  observation: Observation;
  snapshot: Snapshot | null;
  preview: Snapshot | null;
  /** the motion gate reused the last detections (nothing moved) instead of running the detector */
  reused: boolean;
}

/** Runs frames through the pipeline: in worker threads (FramePool, the gateway) or on this thread. */
export interface FrameRunner {
  run(deviceId: string, frame: FrameData, at: Date, settings: FrameSettings): Promise<FrameOutput>;
  close(): Promise<void>;
}

/** The pipeline on the calling thread, with a detector given by the caller (the redact command, tests). */
export class InlineRunner implements FrameRunner {
  constructor(
    private readonly detector: Detector | null,
    private readonly extra: {
      masksFor?: (id: string) => readonly MaskPolygon[];
      hold?: RegionHold;
      motion?: MotionGate;
    } = {},
  ) {}

  /** model ids, or null without a detector (frames are then withheld) */
  get models(): string[] | null {
    return this.detector ? [...this.detector.models] : null;
  }

  async run(deviceId: string, frame: FrameData, at: Date, s: FrameSettings): Promise<FrameOutput> {
    const { observation, snapshot, preview, ctx } = await runPipeline(
      deviceId,
      frame,
      {
        detector: this.detector,
        redaction: s.redaction,
        maxPixels: s.maxPixels,
        countThreshold: s.countThreshold,
        snapshotDue: () => s.snapshot,
        previewDue: () => s.preview,
        ...this.extra,
      },
      at,
    );
    return { observation, snapshot, preview, reused: ctx.reused };
  }

  async close(): Promise<void> {
    await this.detector?.close();
  }
}
