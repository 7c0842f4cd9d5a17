import { squareAround } from '../blazeface/close-up.ts';
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
/** the look's square before "The SSD's look, mirrored", for a bench's comparison */
const PLAIN_LOOK_PX = 64;
export const LOOK_FROM = 0.1;
export const LOOK_MIN = 0.35;
export const LOOK_SHARED_PX = 16;
/**
 * The SSD scores a face and its mirror image apart (28 of 47 looks at heads alone of 12 px from
 * astronaut.png: 0.16-0.34 as they are, 0.35 and more mirrored): a faint face (MIRROR_FROM up to
 * LOOK_MIN) is looked at in the mirror image too, so a face turned either way is judged alike. Below
 * MIRROR_FROM is nothing to look at again (58 of 86 looks at 40 vtest.avi frames at 1080p).
 */
export const MIRROR_FROM = 0.05;

/**
 * Faces scoring LOOK_MIN in the LOOK_PX square around `box` (the image's 0-1 coordinates), or in its
 * mirror image; `plain`: the look as it was before (a bench's comparison), PLAIN_LOOK_PX, not mirrored.
 */
export async function ssdLook(ssd: FaceSsd, img: RgbImage, box: Box, plain = false): Promise<Detection[]> {
  const square = await squareAround(img, box, plain ? PLAIN_LOOK_PX : LOOK_PX, ssd.side);
  const seen = await ssd.detect(square, plain ? LOOK_MIN : MIRROR_FROM);
  const faces = seen.filter((d) => d.score >= LOOK_MIN);
  if (faces.length === seen.length) return faces;
  return nms([...faces, ...(await ssd.detect(mirrored(square), LOOK_MIN))], 0.3);
}
