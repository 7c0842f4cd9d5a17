import sharp, { type OutputInfo } from 'sharp';
import type { Detector, DetectionClass } from '../../models/index.ts';
import { FrameError, type FrameContext, type Snapshot } from './frame.ts';
import { redactRegion } from './redact/methods.ts';
import { regionsFor, type Redaction } from './redact/regions.ts';

export interface StageDeps {
  /** null when the models could not be loaded: every frame is then withheld */
  detector: Detector | null;
  /** how each class is obscured: the active policy's choice, or the policy defaults */
  redaction: Redaction;
  /** decoding refuses images with more pixels than this (decompression bombs) */
  maxPixels: number;
  /** whether this frame should yield a redacted snapshot, and how wide at most; absent: never */
  snapshotDue?: (deviceId: string, at: Date) => { maxWidth: number } | null;
  /** whether this frame should refresh the status page's redacted preview, and how wide; absent: never */
  previewDue?: (deviceId: string, at: Date) => { maxWidth: number } | null;
}

export interface Stage {
  name: string;
  run(ctx: FrameContext, deps: StageDeps): Promise<void> | void;
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

export const decode: Stage = {
  name: 'decode',
  async run(ctx, deps) {
    const jpeg = ctx.jpeg;
    if (!jpeg || jpeg.length < 4 || !jpeg.subarray(0, 3).equals(JPEG_MAGIC)) throw new FrameError('FRAME_NOT_JPEG');
    let out: { data: Buffer; info: OutputInfo };
    try {
      out = await sharp(jpeg, { limitInputPixels: deps.maxPixels, failOn: 'error', sequentialRead: true })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      const msg = (e as Error).message;
      throw new FrameError(/pixel limit/i.test(msg) ? 'FRAME_TOO_MANY_PIXELS' : 'FRAME_UNDECODABLE', msg.split('\n')[0]);
    }
    if (out.info.channels !== 3) throw new FrameError('FRAME_UNDECODABLE', `${out.info.channels} channels`);
    ctx.image = { data: out.data, width: out.info.width, height: out.info.height };
    ctx.jpeg = null; // the raw bytes are not needed past this point
  },
};

export const detect: Stage = {
  name: 'detect',
  async run(ctx, deps) {
    if (!deps.detector) throw new FrameError('MODEL_UNAVAILABLE');
    try {
      ctx.detections = await deps.detector.detect(ctx.image!);
    } catch (e) {
      throw new FrameError('DETECT_FAILED', (e as Error).message);
    }
  },
};

export const redact: Stage = {
  name: 'redact',
  run(ctx, deps) {
    const img = ctx.image!;
    ctx.regions = regionsFor(ctx.detections, img.width, img.height, deps.redaction);
    try {
      for (const r of ctx.regions) redactRegion(img, r);
    } catch (e) {
      throw new FrameError('REDACT_FAILED', (e as Error).message);
    }
    ctx.redacted = true;
  },
};

export const describe: Stage = {
  name: 'describe',
  run(ctx, deps) {
    const img = ctx.image!;
    const counts: Record<DetectionClass, number> = { person: 0, vehicle: 0, face: 0, text: 0 };
    for (const d of ctx.detections) counts[d.cls]++;
    // every face belongs to a person: a lower bound while person boxes are missed or not detected
    counts.person = Math.max(counts.person, counts.face);
    const redactions: Record<string, number> = {};
    const redactionMethods: Record<string, string> = {};
    for (const r of ctx.regions) {
      redactions[r.cls] = (redactions[r.cls] ?? 0) + 1;
      redactionMethods[r.cls] = r.method;
    }
    ctx.observation = {
      deviceId: ctx.deviceId,
      at: ctx.receivedAt.toISOString(),
      width: img.width,
      height: img.height,
      counts,
      detections: ctx.detections.map(({ cls, score, box }) => ({ cls, score, box })),
      redactions,
      redactionMethods,
      models: [...(deps.detector?.models ?? [])],
    };
  },
};

/** The redacted image as a JPEG at most `maxWidth` wide. Refuses a frame the redact stage has not run on. */
async function encodeRedactedFrame(ctx: FrameContext, maxWidth: number, quality: number): Promise<Snapshot> {
  if (!ctx.redacted || !ctx.image) throw new Error('refusing to encode a frame that was not redacted');
  const { data, width, height } = ctx.image;
  const out = await sharp(data, { raw: { width, height, channels: 3 } })
    .resize({ width: Math.min(width, maxWidth), withoutEnlargement: true })
    .jpeg({ quality })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: out.data, width: out.info.width, height: out.info.height };
}

/** Only from the redacted image, and only when the policy lets snapshots leave (checked again by its rules). */
export const snapshot: Stage = {
  name: 'snapshot',
  async run(ctx, deps) {
    const due = deps.snapshotDue?.(ctx.deviceId, ctx.receivedAt);
    if (!due) return;
    try {
      ctx.snapshot = await encodeRedactedFrame(ctx, due.maxWidth, 75);
    } catch (e) {
      throw new FrameError('SNAPSHOT_FAILED', (e as Error).message);
    }
  },
};

/** The status page's view of the camera: only from the redacted image, only when the policy allows it and someone looks. */
export const preview: Stage = {
  name: 'preview',
  async run(ctx, deps) {
    const due = deps.previewDue?.(ctx.deviceId, ctx.receivedAt);
    if (!due) return;
    // a preview that cannot be made is no reason to withhold the frame's record: the page shows none
    ctx.preview = await encodeRedactedFrame(ctx, due.maxWidth, 70).catch(() => null);
  },
};

/** The order is the design: nothing may see the image between decode and redact. */
export const STAGES: readonly Stage[] = [decode, detect, redact, describe, snapshot, preview];
