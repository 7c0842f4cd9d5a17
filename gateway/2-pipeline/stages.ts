import sharp, { type OutputInfo } from 'sharp';
import { UNSEARCHABLE, type Detector, type DetectionClass, type RgbImage } from '../../models/index.ts';
import { FrameError, type FrameContext, type RawFrame, type Snapshot } from './frame.ts';
import { redactRegion } from './redact/methods.ts';
import { regionsFor, type Redaction } from './redact/regions.ts';
import type { RegionHold } from './redact/hold.ts';
import type { MotionGate } from './motion-gate.ts';
import { applyMasks, type MaskPolygon } from './redact/mask.ts';
import { upright, type Orientation } from './orientation.ts';

export interface StageDeps {
  /** null when the models could not be loaded: every frame is then withheld */
  detector: Detector | null;
  /** how each class is obscured: the active policy's choice, or the policy defaults */
  redaction: Redaction;
  /** persons and vehicles below this score are redacted but not counted (default 0.5) */
  countThreshold?: number;
  /** decoding refuses images with more pixels than this (decompression bombs) */
  maxPixels: number;
  /** whether this frame should yield a redacted snapshot, and how wide at most; absent: never */
  snapshotDue?: (deviceId: string, at: Date) => { maxWidth: number } | null;
  /** privacy masks of this camera (normalized polygons), filled before detection */
  masksFor?: (deviceId: string) => readonly MaskPolygon[];
  /** how this camera is mounted: its frames are turned upright before anything else looks at them */
  orientationFor?: (deviceId: string) => Orientation | undefined;
  /** reuses a camera's last detections on frames where nothing moved */
  motion?: MotionGate;
  /** keeps regions redacted for a few frames after the detector last saw them */
  hold?: RegionHold;
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
    const input = ctx.input;
    if (input && !Buffer.isBuffer(input)) {
      ctx.image = await upright(rawImage(input, deps.maxPixels), deps.orientationFor?.(ctx.deviceId));
      ctx.input = null;
      return;
    }
    const jpeg = input;
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
      throw new FrameError(
        /pixel limit/i.test(msg) ? 'FRAME_TOO_MANY_PIXELS' : 'FRAME_UNDECODABLE',
        msg.split('\n')[0],
      );
    }
    if (out.info.channels !== 3) throw new FrameError('FRAME_UNDECODABLE', `${out.info.channels} channels`);
    ctx.image = await upright(
      { data: out.data, width: out.info.width, height: out.info.height },
      deps.orientationFor?.(ctx.deviceId),
    );
    ctx.input = null; // the camera's bytes are not needed past this point
  },
};

/** Raw pixels are checked as a JPEG's header is: the size they claim must be the size they have. */
function rawImage(f: RawFrame, maxPixels: number): RgbImage {
  if (f.width * f.height > maxPixels)
    throw new FrameError('FRAME_TOO_MANY_PIXELS', `${f.width}x${f.height} is more than ${maxPixels} pixels`);
  if (f.rgb.length !== f.width * f.height * 3)
    throw new FrameError('FRAME_UNDECODABLE', `${f.rgb.length} bytes for ${f.width}x${f.height} RGB`);
  return { data: f.rgb, width: f.width, height: f.height };
}

/** Fixed privacy masks (windows of homes, a neighbour's garden): gone before any detector looks. */
export const mask: Stage = {
  name: 'mask',
  run(ctx, deps) {
    const masks = deps.masksFor?.(ctx.deviceId) ?? [];
    if (masks.length > 0) ctx.masked = applyMasks(ctx.image!, masks);
  },
};

export const detect: Stage = {
  name: 'detect',
  async run(ctx, deps) {
    if (!deps.detector) throw new FrameError('MODEL_UNAVAILABLE');
    const reused = deps.motion?.reuse(ctx.deviceId, ctx.image!);
    if (reused) {
      ctx.detections = reused;
      ctx.reused = true;
      return;
    }
    try {
      ctx.detections = await deps.detector.detect(ctx.image!, ctx.deviceId);
    } catch (e) {
      throw new FrameError('DETECT_FAILED', (e as Error).message);
    }
    deps.motion?.detected(ctx.deviceId, ctx.image!, ctx.detections);
  },
};

export const redact: Stage = {
  name: 'redact',
  run(ctx, deps) {
    const img = ctx.image!;
    const found = regionsFor(ctx.detections, img.width, img.height, deps.redaction);
    ctx.regions = deps.hold ? deps.hold.apply(ctx.deviceId, img.width, img.height, found) : found;
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
    const countFrom = deps.countThreshold ?? 0.5;
    // a frame that could not be searched is redacted whole; it shows no face, and no box of it leaves
    const found = ctx.detections.filter((d) => d.model !== UNSEARCHABLE);
    for (const d of found) if (d.score >= countFrom || d.cls === 'face' || d.cls === 'text') counts[d.cls]++;
    // every face belongs to a person: a lower bound while person boxes are missed or not detected
    counts.person = Math.max(counts.person, counts.face);
    const redactions: Record<string, number> = ctx.masked ? { mask: ctx.masked } : {};
    const redactionMethods: Record<string, string> = ctx.masked ? { mask: 'fill' } : {};
    for (const r of ctx.regions) {
      const key = r.held ? 'held' : r.cls;
      redactions[key] = (redactions[key] ?? 0) + 1;
      redactionMethods[r.cls] = r.method;
    }
    ctx.observation = {
      deviceId: ctx.deviceId,
      at: ctx.receivedAt.toISOString(),
      width: img.width,
      height: img.height,
      counts,
      detections: found.map(({ cls, score, box }) => ({ cls, score, box })),
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

/**
 * The status page's view of the camera: only from the redacted image, only when the policy allows it and someone looks.
 */
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
export const STAGES: readonly Stage[] = [decode, mask, detect, redact, describe, snapshot, preview];
