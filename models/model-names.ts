/**
 * The names of the bundled detectors, for configs and their schema: importing this loads no image or
 * model runtime, which `models/index.ts` does (a `veilgate devices add` reads the config, not frames).
 */

/**
 * The two builds of the same detector: int8 (models/coco-ssd/quantized.ts) runs in 40% of the time and finds the people
 * the float model is sure of.
 */
export const SSD_MODELS = ['ssd-mobilenet-v2-coco-int8', 'ssd-mobilenet-v2-coco'] as const;
export type SsdModelId = (typeof SSD_MODELS)[number];
