export type { RgbImage, Box, Detection, DetectionClass } from './image.ts';
export { iou, nms, clampBox } from './image.ts';
export type { Detector } from './detector.ts';
export { CATALOGUE, modelPath, type ModelEntry, type ModelId } from './catalogue.ts';
export { ModelIntegrityError, readVerifiedModel } from './verify.ts';
export { createBlazeface } from './blazeface/detector.ts';
export { createVisionDetector, type VisionOptions } from './vision.ts';
