// first: the native library reads it when it loads
import './no-telemetry.ts';
import ort from 'onnxruntime-node';
import type { ModelEntry } from './catalogue.ts';
import { readVerifiedModel } from './verify.ts';

/**
 * One ONNX session per model per worker (BlazeFace: per input shape, see blazeface/input-size.ts),
 * one intra-op thread: these models are too small for two threads to help (docs/architecture.md,
 * "Detection and redaction"); parallelism comes from running streams in workers. `adapt` may change the verified bytes.
 */
export async function openSession(
  entry: ModelEntry,
  adapt: (verified: Uint8Array) => Uint8Array = (b) => b,
): Promise<ort.InferenceSession> {
  const bytes = adapt(await readVerifiedModel(entry));
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // ORT's memory pattern keeps a planned block per input shape (PP-OCR sees crops of every size):
    // off, the gateway is smaller at the same speed (docs/performance.md, "Figures behind code choices")
    enableMemPattern: false,
  });
}

export { ort };
