import { loadOnnx } from '../onnx-proto.ts';
import { SSD_KEPT_COLUMNS } from './labels.ts';

/** the graph's class channels per anchor: background, then COCO ids 1-90 */
const CHANNELS = 91;
/** the shared constant the class predictions are reshaped with: [batch, anchors, 91] */
const RESHAPE_CLASSES = 'BoxPredictor_0/stack_1/2';
const PREDICTORS = 6;

/**
 * The SSD with its class predictors cut down to background and the classes veilgate uses (persons
 * and vehicles, 8 of 91 channels per anchor): their 1x1 convolutions computed 83 scores per anchor
 * that were thrown away, about a tenth of the model's work. Scores are per-class sigmoids, so the
 * kept ones are unchanged; the `scores` output becomes [1, 1917, 7] in SSD_KEPT_COLUMNS order.
 */
export function pruneClasses(floatModel: Uint8Array): Uint8Array {
  const onnx = loadOnnx();
  const m = onnx.ModelProto.decode(floatModel);
  const inits = new Map(m.graph!.initializer!.map((t) => [t.name!, t]));
  const keep = [0, ...SSD_KEPT_COLUMNS.map((c) => c + 1)];
  const need = (name: string) => {
    const t = inits.get(name);
    if (!t) throw new Error(`the SSD graph has no ${name}: is it another model?`);
    return t;
  };
  for (let k = 0; k < PREDICTORS; k++) {
    const w = need(`BoxPredictor_${k}/ClassPredictor/Conv2D__w`);
    const b = need(`BoxPredictor_${k}/ClassPredictor/biases`);
    const [out, ...rest] = w.dims!.map(Number) as [number, ...number[]];
    const per = rest.reduce((x, y) => x * y, 1);
    const rows = Array.from({ length: out / CHANNELS }, (_, a) => keep.map((c) => a * CHANNELS + c)).flat();
    const weights = new Float32Array(Uint8Array.from(w.rawData!).buffer);
    const bias = new Float32Array(Uint8Array.from(b.rawData!).buffer);
    w.rawData = new Uint8Array(
      Float32Array.from(rows.flatMap((r) => Array.from(weights.subarray(r * per, (r + 1) * per)))).buffer,
    );
    w.dims = [rows.length, ...rest];
    b.rawData = new Uint8Array(Float32Array.from(rows, (r) => bias[r]!).buffer);
    b.dims = [rows.length];
  }
  need(RESHAPE_CLASSES).rawData = new Uint8Array(Int32Array.of(keep.length).buffer);
  return onnx.ModelProto.encode(m).finish();
}
