import type { VisionOptions } from '../../../models/index.ts';
import type { FrameDropCode, Observation, Snapshot } from '../frame.ts';
import type { MaskPolygon } from '../redact/mask.ts';
import type { Orientation } from '../orientation.ts';
import type { Redaction } from '../redact/regions.ts';

/** What a frame worker needs once, at start (workerData). */
export interface WorkerInit {
  vision: VisionOptions;
  masks: Record<string, MaskPolygon[]>;
  orientation: Record<string, Orientation>;
  holdFrames: number;
  motion: { enabled: boolean; threshold: number; refreshFrames: number; detectEvery: number };
  /** libvips threads inside this worker */
  imageThreads: number;
}

/**
 * Per-frame settings decided on the main thread: the policy in force may change between frames,
 * and the snapshot and preview schedules live there.
 */
export interface FrameSettings {
  redaction: Redaction;
  maxPixels: number;
  countThreshold: number;
  snapshot: { maxWidth: number } | null;
  preview: { maxWidth: number } | null;
}

export interface FrameRequest {
  id: number;
  deviceId: string;
  /** the camera's JPEG, or its raw RGB pixels when `raw` gives their size; transferred, not copied */
  bytes: ArrayBuffer;
  raw?: { width: number; height: number };
  at: number;
  settings: FrameSettings;
}

/**
 * A worker's answer: never pixels, except JPEGs encoded from the redacted image, and a raw frame's
 * buffer handed back for the next frame to be read into (`returned`: nobody reads it until it is
 * overwritten whole).
 */
export type FrameReply = (
  | {
      type: 'frame';
      id: number;
      ok: true;
      observation: Observation;
      snapshot: Snapshot | null;
      preview: Snapshot | null;
      reused: boolean;
    }
  | { type: 'frame'; id: number; ok: false; code: FrameDropCode; message: string }
) & { returned?: ArrayBuffer };

export type WorkerReady = { type: 'ready'; models: string[] } | { type: 'ready'; models: null; error: string };
