import type { Detection, RgbImage, DetectionClass } from '../../models/index.ts';

/** Why a frame was withheld. Stable codes: counted, logged and audited. */
export const FRAME_DROP_CODES = {
  FRAME_TOO_LARGE: 'the frame is larger than broker.maxFrameBytes',
  FRAME_NOT_JPEG: 'the payload is not a JPEG image',
  FRAME_UNDECODABLE: 'the JPEG could not be decoded',
  FRAME_TOO_MANY_PIXELS: 'the JPEG declares more pixels than a camera frame may have',
  MODEL_UNAVAILABLE: 'the detectors are not loaded: frames are withheld until they are',
  DETECT_FAILED: 'detection failed on this frame',
  REDACT_FAILED: 'redaction failed on this frame',
  SNAPSHOT_FAILED: 'the redacted snapshot of this frame could not be encoded',
  QUEUE_OVERFLOW: 'the camera sent frames faster than they could be processed; the oldest was dropped',
  FRAME_TIMEOUT: 'the frame was not processed within vision.frameTimeoutMs; its worker was restarted',
  WORKER_FAILED: 'the frame worker stopped while processing the frame, or was restarting',
} as const;
export type FrameDropCode = keyof typeof FRAME_DROP_CODES;

export class FrameError extends Error {
  /** what is particular to this frame, without the code's own description (which `message` begins with) */
  readonly detail: string;

  constructor(
    readonly code: FrameDropCode,
    detail?: string,
  ) {
    super(detail ? `${FRAME_DROP_CODES[code]}: ${detail}` : FRAME_DROP_CODES[code]);
    this.detail = detail ?? '';
  }
}

/** A pixel rectangle to obscure, why, and how (from the policy's per-class choice). */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
  /** `frame`: the whole frame, one the detectors could not search (models/blazeface/detector.ts UNSEARCHABLE) */
  cls: DetectionClass | 'head' | 'frame';
  /** held over from an earlier frame (RegionHold), not detected in this one */
  held?: boolean;
  method: 'pixelate' | 'blur' | 'fill';
  strength: number;
}

/** What the pipeline says about one frame: handed to the policy, never the pixels. */
export interface Observation {
  deviceId: string;
  at: string;
  width: number;
  height: number;
  counts: Record<DetectionClass, number>;
  detections: Array<Pick<Detection, 'cls' | 'score' | 'box'>>;
  redactions: Record<string, number>;
  /** how each class was obscured in this frame (pixelate, blur or fill) */
  redactionMethods: Record<string, string>;
  models: string[];
}

/** The most pixels a camera frame may have (a 4096x4096 frame): more is a decompression bomb or a mistake. */
export const MAX_FRAME_PIXELS = 4096 * 4096;

/** Pixels as ffmpeg hands them over for an RTSP camera: RGB, 3 bytes a pixel, row by row. */
export interface RawFrame {
  rgb: Buffer;
  width: number;
  height: number;
}

/** A camera frame as it arrives: a JPEG (MQTT cameras) or raw pixels (RTSP cameras, via ffmpeg). */
export type FrameData = Buffer | RawFrame;

/**
 * One frame's way through the stages. `input` holds the camera's bytes only until decode; `image`
 * is raw until the redact stage has run on it. Nothing outside the pipeline ever receives either.
 */
export interface FrameContext {
  deviceId: string;
  receivedAt: Date;
  input: FrameData | null;
  image: RgbImage | null;
  detections: Detection[];
  regions: Region[];
  redacted: boolean;
  /** the motion gate reused the camera's last detections instead of running the detector */
  reused: boolean;
  /** privacy-mask polygons filled in this frame */
  masked: number;
  observation: Observation | null;
  /** a redacted JPEG, made only when the policy lets snapshots leave and one is due */
  snapshot: Snapshot | null;
  /** a redacted JPEG for the local status page, made only when the policy allows it and someone is looking */
  preview: Snapshot | null;
}

export interface Snapshot {
  jpeg: Buffer;
  width: number;
  height: number;
}
