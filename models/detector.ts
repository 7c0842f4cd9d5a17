import type { Detection, RgbImage } from './image.ts';

/** Anything that finds things in an image. Implementations must pass detector.contract.ts. */
export interface Detector {
  /** catalogue ids of the models this detector runs, recorded with every decision */
  readonly models: readonly string[];
  detect(img: RgbImage): Promise<Detection[]>;
  close(): Promise<void>;
}
