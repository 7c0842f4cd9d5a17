import { test } from 'node:test';
import { createVisionDetector, type Detector } from '../../models/index.ts';
import { DEFAULT_VISION } from '../../policies/index.ts';
import { VisionConfig } from '../foundation/config/schema.ts';
import type { StageDeps } from '../2-pipeline/index.ts';

/**
 * The default vision detector for a test file: loaded before its tests, closed after them.
 * `deps` gives the pipeline what it needs with it, the policy defaults' redaction and room for 8K frames.
 */
export function defaultDetector(): { detector: () => Detector; deps: (over?: Partial<StageDeps>) => StageDeps } {
  let detector: Detector | null = null;
  test.before(async () => {
    detector = await createVisionDetector(VisionConfig.parse({}));
  });
  test.after(() => detector?.close());
  const loaded = () => {
    if (!detector) throw new Error('the detector is loaded before the tests run');
    return detector;
  };
  return {
    detector: loaded,
    deps: (over = {}) => ({ detector: loaded(), redaction: DEFAULT_VISION.redact, maxPixels: 8192 * 8192, ...over }),
  };
}
