import { CATALOGUE, type ModelId } from '../catalogue.ts';
import { clampBox, containsBox, nms, unionBox, type Box, type Detection, type RgbImage } from '../image.ts';
import { halve, letterbox, type Letterboxed } from '../letterbox.ts';
import { exposureCorrected, exposureOf, UNSEARCHABLE_BLOWN } from '../exposure.ts';
import { tileInputs, turned } from '../tiles.ts';
import { openSession, ort } from '../session.ts';
import { blazefaceAnchors } from './anchors.ts';
import { boxPixels, closeUp, magnifies, squareAround } from './close-up.ts';
import { blazefaceInput, withInputHeight } from './input-size.ts';
import type { Detector } from '../detector.ts';
import { openFaceSsd } from '../face-ssd/detector.ts';
import {
  LARGER_BELOW_PX,
  LARGER_FROM,
  largerLook,
  LOOK_FROM,
  LOOK_SHARED_PX,
  PLAIN_LOOK,
  SMALL_LOOK,
  ssdLook,
  type LookHow,
} from '../face-ssd/look.ts';

type Variant = Extract<ModelId, 'blazeface-front-128' | 'blazeface-back-256'>;

export interface BlazefaceOptions {
  variant: Variant;
  /** minimum sigmoid score; 0.5 fires on coffee cups and cats (docs/architecture.md, "Detection and redaction") */
  threshold: number;
}

/** One BlazeFace model on its own: letterboxes each image to the model's input. */
export async function createBlazeface(opts: BlazefaceOptions): Promise<Detector> {
  const model = await openBlazeface(opts);
  return {
    models: [model.id],
    async detect(img: RgbImage): Promise<Detection[]> {
      const input = blazefaceInput(model.side, img);
      return model.detect(await letterbox(img, input.width, input.height));
    },
    close: model.close,
  };
}

export interface FaceSearchOptions {
  nearThreshold: number;
  farThreshold: number;
  /** source pixels per side of the overlapping tiles the far model also searches; 0: the whole frame only */
  tileSize?: number;
  /** also search each frame turned upside down (a camera mounted the wrong way round) */
  upsideDown?: boolean;
  /** the least far-model score of a small tile candidate for a close-up; SMALL_CLOSE_UP_MIN unless a bench compares */
  smallCloseUpFrom?: number;
  /** a magnified look at small candidates the near model leaves; on unless a bench compares */
  magnifiedLooks?: boolean;
  /** face-api.js's SSD looks where the far model's look finds nothing; on unless a bench compares */
  ssdLooks?: boolean;
  /** the SSD's look as it was: the 64 px square, not mirrored; off unless a bench compares */
  plainSsdLooks?: boolean;
  /** a fixed square's close-up at doubtful candidates the far model may draw too large; on unless a bench compares */
  tightCloseUps?: boolean;
}

/** The face search; a caller that knows of regions redacted whatever they hold can spare it work there. */
export interface FaceDetector extends Detector {
  /**
   * As `detect`, but a tile's candidate lying wholly inside one of `covered` (the head bands of the
   * persons found in the same frame) gets no close-up and no look: it would be redacted anyway. A
   * rejected `covered` rejects the search (the frame is withheld).
   */
  detectOutside(img: RgbImage, covered: Promise<readonly Box[]>): Promise<Detection[]>;
}

/** The model id of the whole-frame region for a frame too blown out to search (`exposure.ts`). */
export const UNSEARCHABLE = 'veilgate-unsearchable-frame';
/** past this aspect ratio, without tiles, a face shrinks to nothing in the whole-frame pass */
const MAX_ASPECT_UNTILED = 4;
/** the least score of a face found upside down (docs/performance.md, "Redaction robustness") */
const TURNED_MIN_SCORE = 0.76;
/**
 * the least far-model score in a tile worth a close-up: heads alone of 14-20 px (5-7 px in the
 * model's input) often score 0.3-0.45 there, and the close-up still tells them from clutter
 * (docs/performance.md, "Close-ups from 0.3")
 */
const TILE_CANDIDATE_MIN = 0.3;
/**
 * the same for a candidate small enough that its close-up magnifies it (under 43 px):
 * heads alone of 16-24 px before clutter (a building, a room) often score 0.1-0.3 in a tile, and
 * such a close-up costs a third of one that sharp shrinks (docs/performance.md, "Heads alone in
 * real scenes")
 */
const SMALL_CLOSE_UP_MIN = 0.1;
/**
 * a doubtful candidate (under TILE_CANDIDATE_MIN) up to this size may be a face of 16-20 px whose box
 * the far model drew two to four times too large: its close-up is the TIGHT_SQUARE_PX square around
 * its centre, not three times its box, which would shrink such a face to a few pixels
 * (docs/performance.md, "Tight close-ups")
 */
const TIGHT_BELOW_PX = 64;
const TIGHT_SQUARE_PX = 64;
/**
 * the near model's least score on a close-up that makes a tile's candidate a face: small faces
 * 0.84-0.97, cups, cats and CCTV clutter at most 0.78 (docs/performance.md, "Heads alone: a close-up"
 * and "Close-ups from 0.3")
 */
const CLOSE_UP_MIN = 0.8;
/**
 * a candidate box at most this tall (image pixels) may be a face of 12-16 px, too blurred in a
 * close-up for the near model: when the near model does not confirm it, the far model looks at the
 * FAR_LOOK_PX square around it, magnified twice (docs/performance.md, "A magnified look for the
 * smallest faces"). Only a small candidate from SMALL_CANDIDATE_MIN gets this look: 12 px heads alone
 * score 0.2-0.3 in a tile, and its looks at lower scores find false faces ("Heads alone in real
 * scenes"). Where it finds nothing, and for small candidates from the SSD's LOOK_FROM, face-api.js's
 * SSD looks (`models/face-ssd/look.ts`).
 */
const FAR_LOOK_BELOW_PX = 32;
const SMALL_CANDIDATE_MIN = 0.2;
const FAR_LOOK_PX = 128;
/** a candidate this close (image pixels) to one already looked at is judged from that look, well inside its square */
const FAR_LOOK_SHARED_PX = 32;
/** the far model's least score on that magnified square: faces of 12-14 px 0.78-0.93, no people 0.74 at most */
const FAR_LOOK_MIN = 0.78;

/**
 * Near (128) and far (256) faces from one resize of the frame: the near model's input is the far
 * model's averaged 2x2, far cheaper than a second libvips resize of the whole frame
 * (docs/performance.md, "Figures behind code choices"). Then, where the frame needs them, more
 * passes (docs/architecture.md, "Detection and redaction"): the same input turned upside down, a
 * copy with its exposure corrected, and the far model over tiles of a large or long frame. A frame
 * that cannot be searched (mostly blown out, or too long for one pass with tiles off) is returned
 * as one face covering the whole of it, so it is redacted whole: fail closed.
 */
export async function createFaceDetector(opts: FaceSearchOptions): Promise<FaceDetector> {
  const { tileSize = 0, upsideDown = false, magnifiedLooks = true, tightCloseUps = true } = opts;
  const ssdLooks = magnifiedLooks && (opts.ssdLooks ?? true) && tileSize > 0;
  const lookFrom = ssdLooks ? LOOK_FROM : SMALL_CANDIDATE_MIN;
  const smallCloseUpFrom = Math.min(opts.smallCloseUpFrom ?? SMALL_CLOSE_UP_MIN, TILE_CANDIDATE_MIN);
  const [near, far, ssd] = await Promise.all([
    openBlazeface({ variant: 'blazeface-front-128', threshold: opts.nearThreshold }),
    // in tiles the far model also names candidates below its threshold, for a close-up
    openBlazeface({
      variant: 'blazeface-back-256',
      threshold:
        tileSize > 0 ? Math.min(opts.farThreshold, smallCloseUpFrom, magnifiedLooks ? lookFrom : 1) : opts.farThreshold,
    }),
    // looks are at tiles' candidates: without tiles the model is not loaded
    ssdLooks ? openFaceSsd() : undefined,
  ]);
  const farFaces = async (lb: Letterboxed) => (await far.detect(lb)).filter((d) => d.score >= opts.farThreshold);
  const both = async (lb: Letterboxed) => [...(await near.detect(halve(lb))), ...(await farFaces(lb))];
  // a tile's candidate is a face when the near model, shown the image around it, is sure of one
  // there; its box is the near model's, which at that size places a face better than the far one's
  const confirmed = async (img: RgbImage, candidate: Detection, tight: boolean): Promise<Detection[]> => {
    const square = tight
      ? squareAround(img, candidate.box, TIGHT_SQUARE_PX, near.side)
      : closeUp(img, candidate.box, near.side);
    const faces = await near.detect(await square);
    return faces.filter((d) => d.score >= Math.max(opts.nearThreshold, CLOSE_UP_MIN));
  };
  // second looks at a small candidate, magnified: the far model's own (from SMALL_CANDIDATE_MIN), then
  // where it finds nothing the SSD's (from LOOK_FROM); each finds 12 px heads the other misses.
  // Candidates close together (a crowd, the same spot in two tiles) share a look.
  const lookedAgain = async (img: RgbImage, candidate: Detection, looks: FrameLooks): Promise<Detection[]> => {
    const b = candidate.box;
    const [cx, cy] = [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2];
    if (candidate.score >= SMALL_CANDIDATE_MIN) {
      let look = looks.far.find(sharedWith(img, cx, cy, FAR_LOOK_SHARED_PX));
      if (!look) {
        const faces = await far.detect(await squareAround(img, b, FAR_LOOK_PX, far.side));
        looks.far.push((look = { cx, cy, faces: faces.filter((d) => d.score >= FAR_LOOK_MIN) }));
      }
      // the far model's face must cover the candidate's centre
      const faces = look.faces.filter((d) => within(d.box, cx, cy));
      if (faces.length > 0) return faces;
    }
    return ssdLooked(img, candidate, looks.ssd, opts.plainSsdLooks ? PLAIN_LOOK : SMALL_LOOK);
  };
  // the SSD's look (`models/face-ssd/look.ts`), shared by candidates close together
  const ssdLooked = async (img: RgbImage, candidate: Detection, made: Look[], how: LookHow): Promise<Detection[]> => {
    if (!ssd) return [];
    const b = candidate.box;
    const [cx, cy] = [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2];
    let look = made.find(sharedWith(img, cx, cy, LOOK_SHARED_PX));
    if (!look) made.push((look = { cx, cy, faces: await ssdLook(ssd, img, b, how) }));
    // the SSD draws a face's box tight, the candidate's is loose: the face's centre must lie in it
    return look.faces.filter((d) => within(b, (d.box.x1 + d.box.x2) / 2, (d.box.y1 + d.box.y2) / 2));
  };
  // a candidate the near model may not see for its pose (docs/performance.md, "Profiles")
  const larger = (img: RgbImage, d: Detection) =>
    ssd !== undefined && !opts.plainSsdLooks && d.score >= LARGER_FROM && boxPixels(img, d.box) <= LARGER_BELOW_PX;
  const detectOutside = async (img: RgbImage, covered: Promise<readonly Box[]>): Promise<Detection[]> => {
    const input = blazefaceInput(far.side, img);
    const lb = await letterbox(img, input.width, input.height);
    const exposure = exposureOf(lb);
    const aspect = Math.max(img.width / img.height, img.height / img.width);
    if (exposure.blown > UNSEARCHABLE_BLOWN || (tileSize === 0 && aspect > MAX_ASPECT_UNTILED))
      return [{ cls: 'face', score: 1, box: { x1: 0, y1: 0, x2: 1, y2: 1 }, model: UNSEARCHABLE }];
    const found = await both(lb);
    // turned round, a coffee cup scores 0.73 with the near model; real faces 0.78 and up
    if (upsideDown) found.push(...(await both(turned(lb))).filter((d) => d.score >= TURNED_MIN_SCORE));
    const corrected = exposureCorrected(lb.data, exposure);
    if (corrected) found.push(...(await both({ ...lb, data: corrected })));
    const tiles = await tileInputs(img, tileSize, far.side, (t) => blazefaceInput(far.side, t).height);
    const looks: FrameLooks = { far: [], ssd: [], larger: [] };
    for (const t of tiles) {
      for (const d of await far.detect(t)) {
        if (d.score >= opts.farThreshold) {
          found.push(d);
          continue;
        }
        const look = magnifiedLooks && d.score >= lookFrom && (d.box.y2 - d.box.y1) * img.height <= FAR_LOOK_BELOW_PX;
        const magnified = magnifies(img, d.box, near.side);
        const tight =
          tightCloseUps && !magnified && d.score < TILE_CANDIDATE_MIN && boxPixels(img, d.box) <= TIGHT_BELOW_PX;
        if (d.score < (magnified || tight ? smallCloseUpFrom : TILE_CANDIDATE_MIN) && !look) continue;
        // awaited only here: the far model's passes run while the persons are still being found
        if ((await covered).some((c) => containsBox(c, d.box))) continue;
        const faces = await confirmed(img, d, tight);
        if (faces.length > 0) found.push(...faces);
        else if (look) found.push(...(await lookedAgain(img, d, looks)));
        else if (larger(img, d)) {
          // the SSD draws a profile narrow (29 px wide for a head of 40): the candidate's box is kept
          // too, or the merge of the frame's faces could let the narrow box stand for a wider one
          const faces = await ssdLooked(img, d, looks.larger, largerLook(img, d.box));
          found.push(...faces.map((f) => ({ ...f, box: unionBox(f.box, d.box) })));
        }
      }
    }
    return found;
  };
  return {
    models: [near.id, far.id, ...(ssd ? [ssd.id] : [])],
    detect: (img) => detectOutside(img, NOTHING_COVERED),
    detectOutside,
    async close() {
      await Promise.all([near.close(), far.close(), ssd?.close()]);
    },
  };
}

const within = (b: Box, x: number, y: number) => b.x1 <= x && x <= b.x2 && b.y1 <= y && y <= b.y2;

/** a look made within `near` image pixels of (cx, cy) (0-1 coordinates), well inside its square */
const sharedWith = (img: RgbImage, cx: number, cy: number, near: number) => (l: Look) =>
  Math.abs(l.cx - cx) * img.width <= near && Math.abs(l.cy - cy) * img.height <= near;

const NOTHING_COVERED: Promise<readonly Box[]> = Promise.resolve([]);

/** the looks made in one frame, by the model that made them */
interface FrameLooks {
  far: Look[];
  ssd: Look[];
  /** the SSD's at larger candidates */
  larger: Look[];
}

/** a magnified look around a candidate (centre in the image's 0-1 coordinates) and the faces it found */
interface Look {
  cx: number;
  cy: number;
  faces: Detection[];
}

interface BlazefaceModel {
  id: string;
  /** the side of the model's square input */
  side: number;
  /** faces in a letterboxed input `side` wide and at most `side` high (see input-size.ts) */
  detect(input: Letterboxed): Promise<Detection[]>;
  close(): Promise<void>;
}

/** the sessions kept per model: one per input height, and a camera's frames keep their size */
const HEIGHTS_KEPT = 4;

async function openBlazeface(opts: BlazefaceOptions): Promise<BlazefaceModel> {
  const entry = CATALOGUE[opts.variant];
  const side = opts.variant === 'blazeface-front-128' ? 128 : 256;
  const sessions = new Map<number, Promise<ort.InferenceSession>>();
  const sessionFor = (height: number) => {
    let s = sessions.get(height);
    if (!s) {
      if (sessions.size >= HEIGHTS_KEPT) {
        const [oldest, gone] = sessions.entries().next().value!;
        sessions.delete(oldest);
        gone.then(
          (session) => session.release(),
          () => {},
        );
      }
      s = openSession(entry, (bytes) => withInputHeight(bytes, side, height));
      // a failed load is not kept: the next frame tries again (and is withheld meanwhile)
      s.catch(() => sessions.delete(height));
      sessions.set(height, s);
    }
    return s;
  };
  await sessionFor(side); // the file is verified (and a broken install fails) before the first frame
  return {
    id: entry.id,
    side,
    async detect(lb) {
      if (lb.width !== side || lb.height > side)
        throw new Error(`${entry.id}: input ${lb.width}x${lb.height} for a ${side} model`);
      const session = await sessionFor(lb.height);
      const [scoresA, scoresB, boxesA, boxesB] = session.outputNames as [string, string, string, string];
      // an input of its own per call, as for the SSD: several cameras' frames are in flight
      const tensor = new Float32Array(lb.data.length);
      for (let i = 0; i < tensor.length; i++) tensor[i] = lb.data[i]! / 127.5 - 1;
      const out = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, lb.height, lb.width, 3]),
      });
      const anchors = anchorsFor((16 * lb.height) / side);
      const scores = [out[scoresA]!.data as Float32Array, out[scoresB]!.data as Float32Array];
      const boxes = [out[boxesA]!.data as Float32Array, out[boxesB]!.data as Float32Array];
      const found: Detection[] = [];
      let anchor = 0;
      for (let part = 0; part < 2; part++) {
        const s = scores[part]!;
        const r = boxes[part]!;
        for (let i = 0; i < s.length; i++, anchor++) {
          const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, s[i]!))));
          if (score < opts.threshold) continue;
          // regressors are in input pixels
          const cx = r[i * 16]! / lb.width + anchors[anchor * 2]!;
          const cy = r[i * 16 + 1]! / lb.height + anchors[anchor * 2 + 1]!;
          const w = r[i * 16 + 2]! / lb.width;
          const h = r[i * 16 + 3]! / lb.height;
          const box = clampBox(lb.unmap({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }));
          if (box.x2 > box.x1 && box.y2 > box.y1) found.push({ cls: 'face', score, box, model: entry.id });
        }
      }
      if (anchor !== anchors.length / 2)
        throw new Error(`${entry.id}: ${anchor} outputs for ${anchors.length / 2} anchors`);
      return nms(found, 0.3);
    },
    async close() {
      await Promise.all([...sessions.values()].map(async (s) => (await s).release()));
    },
  };
}

const anchorCache = new Map<number, Float32Array>();
function anchorsFor(fineRows: number): Float32Array {
  let a = anchorCache.get(fineRows);
  if (!a) anchorCache.set(fineRows, (a = blazefaceAnchors(fineRows)));
  return a;
}
