export { FrameIngest } from './ingest.ts';
export { runPipeline, encodeRedacted, frameContext } from './run.ts';
export { STAGES, type StageDeps } from './stages.ts';
export {
  FRAME_DROP_CODES,
  FrameError,
  type Observation,
  type FrameDropCode,
  type Region,
  type Snapshot,
  type RawFrame,
  type FrameData,
  MAX_FRAME_PIXELS,
} from './frame.ts';
export type { RedactMethod } from './redact/methods.ts';
export type { Redaction } from './redact/regions.ts';
export { FrameBuffers } from './frame-buffers.ts';
export { SnapshotSchedule } from './snapshot-schedule.ts';
export { RegionHold } from './redact/hold.ts';
export { MotionGate } from './motion-gate.ts';
export type { MaskPolygon } from './redact/mask.ts';
export { InlineRunner, type FrameRunner, type FrameOutput } from './runner.ts';
export { FramePool, type PoolOptions } from './workers/pool.ts';
export type { FrameSettings, WorkerInit } from './workers/protocol.ts';
export { startFramePool, framesWarnings } from './workers/start-pool.ts';
