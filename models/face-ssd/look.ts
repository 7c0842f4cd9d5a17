/** the input side the face SSD is built for */
export const FACE_SSD_SIDE = 256;

/**
 * The SSD's look at a small candidate face (docs/performance.md, "A look by a model trained on small
 * faces"): the LOOK_PX square around it, magnified 4x to the SSD's input, for a far-model candidate
 * from LOOK_FROM in a tile. A face there that scores LOOK_MIN, its centre in the candidate's box,
 * makes the candidate a face: heads alone of 12 px score 0.2-0.7 there, 14-16 px 0.9 and up; 1,779
 * looks at frames without people 0.13 at most, the cat of chelsea.png small in a 1080p frame 0.28.
 * A candidate within LOOK_SHARED_PX of one already looked at, well inside its square, shares its look.
 */
export const LOOK_PX = 64;
export const LOOK_FROM = 0.1;
export const LOOK_MIN = 0.35;
export const LOOK_SHARED_PX = 16;
