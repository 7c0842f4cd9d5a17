import type { Detection, RgbImage } from './image.ts';

/** Anything that finds things in an image. */
export interface Detector {
  /** catalogue ids of the models this detector runs, recorded with every decision */
  readonly models: readonly string[];
  /**
   * `scene` names what the images show (a camera id): a detector may then reuse its work on parts
   * of the scene whose pixels have not changed since its last image of it. Without it, every image
   * is looked at from scratch.
   */
  detect(img: RgbImage, scene?: string): Promise<Detection[]>;
  close(): Promise<void>;
}
