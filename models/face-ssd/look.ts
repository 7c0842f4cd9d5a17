import { boxPixels, squareAround } from '../blazeface/close-up.ts';
import { nms, type Box, type Detection, type RgbImage } from '../image.ts';
import { mirrored } from '../tiles.ts';
import type { FaceSsd } from './detector.ts';

/** the input side the face SSD is built for */
export const FACE_SSD_SIDE = 256;

/**
 * The SSD's look at a small candidate face (docs/performance.md, "A look by a model trained on small
 * faces" and "The SSD's look, mirrored"): the LOOK_PX square around it, magnified to the SSD's input,
 * for a far-model candidate from LOOK_FROM in a tile. A face there that scores LOOK_MIN, its centre in
 * the candidate's box, makes the candidate a face. 96 px, not 64: a 12 px face in profile (camera.png)
 * scores 0.1-0.3 at 64 px and 0.35-0.65 at 96. No face at all in 3,132 squares of people-free photos
 * and 147 candidates in them scored more than 0.25, the cat of chelsea.png small in a 1080p frame
 * 0.28 at 64 px. A candidate within LOOK_SHARED_PX of one already looked at shares its look.
 */
export const LOOK_PX = 96;
export const LOOK_FROM = 0.1;
export const LOOK_MIN = 0.35;
export const LOOK_SHARED_PX = 16;
/**
 * The SSD scores a face and its mirror image apart (28 of 47 looks at heads alone of 12 px from
 * astronaut.png: 0.16-0.34 as they are, 0.35 and more mirrored): a faint face (from MIRROR_FROM,
 * under the look's least score) is looked at in the mirror image too, so a face turned either way is
 * judged alike. Below MIRROR_FROM is nothing to look at again (58 of 86 looks at 40 vtest.avi frames
 * at 1080p).
 */
export const MIRROR_FROM = 0.05;

/**
 * A larger tile candidate (over 32 px, up to LARGER_BELOW_PX) that scored LARGER_FROM in its tile but
 * that the near model's close-up does not confirm may be a face in profile, which BlazeFace's models
 * barely see (docs/performance.md, "Profiles"): the SSD looks at the square LARGER_CONTEXT times its
 * box, where it must score LARGER_MIN. Profiles of 33-71 px were such candidates from 0.40 and scored
 * 0.65-0.95 there (the ones otherwise missed 0.88 and up); candidates of up to 96 px in 40 people-free
 * frames 0.39 at most, larger ones more (an aerial view 0.77, a squirrel's head 0.60). From 0.4, not
 * 0.3: 16 looks in 40 vtest.avi frames at 1080p, not 39.
 */
export const LARGER_BELOW_PX = 96;
export const LARGER_FROM = 0.4;
export const LARGER_MIN = 0.8;
const LARGER_CONTEXT = 3;

/** how the SSD looks: the side of the square around the candidate, the least score, whether mirrored where faint */
export interface LookHow {
  px: number;
  min: number;
  mirror: boolean;
}
export const SMALL_LOOK: LookHow = { px: LOOK_PX, min: LOOK_MIN, mirror: true };
/** the small look as it was before "The SSD's look, mirrored", for a bench's comparison */
export const PLAIN_LOOK: LookHow = { px: 64, min: LOOK_MIN, mirror: false };
export const largerLook = (img: { width: number; height: number }, box: Box): LookHow => ({
  px: LARGER_CONTEXT * boxPixels(img, box),
  min: LARGER_MIN,
  mirror: true,
});

/**
 * Faces scoring `how.min` in the `how.px` square around `box` (the image's 0-1 coordinates), or,
 * where the square holds only a faint face (from MIRROR_FROM), in its mirror image.
 */
export async function ssdLook(ssd: FaceSsd, img: RgbImage, box: Box, how = SMALL_LOOK): Promise<Detection[]> {
  const square = await squareAround(img, box, how.px, ssd.side);
  const seen = await ssd.detect(square, how.mirror ? MIRROR_FROM : how.min);
  const faces = seen.filter((d) => d.score >= how.min);
  if (faces.length === seen.length) return faces;
  return nms([...faces, ...(await ssd.detect(mirrored(square), how.min))], 0.3);
}
