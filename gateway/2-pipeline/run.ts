import sharp from 'sharp';
import { FrameError, type FrameContext, type FrameData, type Observation, type Snapshot } from './frame.ts';
import { STAGES, type StageDeps } from './stages.ts';

export interface PipelineResult {
  observation: Observation;
  snapshot: Snapshot | null;
  preview: Snapshot | null;
  /** the redacted image, for callers that were allowed to encode it */
  ctx: FrameContext;
}

/** A frame as it enters the stages: the camera's bytes and nothing made from them yet. */
export function frameContext(deviceId: string, input: FrameData, receivedAt = new Date()): FrameContext {
  return {
    deviceId,
    receivedAt,
    input,
    image: null,
    detections: [],
    regions: [],
    redacted: false,
    reused: false,
    masked: 0,
    observation: null,
    snapshot: null,
    preview: null,
  };
}

/** Runs one frame through every stage in order; any failure throws a FrameError (withhold it). */
export async function runPipeline(
  deviceId: string,
  input: FrameData,
  deps: StageDeps,
  receivedAt = new Date(),
): Promise<PipelineResult> {
  const ctx = frameContext(deviceId, input, receivedAt);
  for (const stage of STAGES) await stage.run(ctx, deps);
  if (!ctx.observation) throw new FrameError('REDACT_FAILED', 'the pipeline ended without an observation');
  return { observation: ctx.observation, snapshot: ctx.snapshot, preview: ctx.preview, ctx };
}

/** Encodes the frame after redaction. Refuses a frame the redact stage has not run on. */
export async function encodeRedacted(ctx: FrameContext, quality = 80): Promise<Buffer> {
  if (!ctx.redacted || !ctx.image)
    throw new FrameError('REDACT_FAILED', 'refusing to encode a frame that was not redacted');
  const { data, width, height } = ctx.image;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}
