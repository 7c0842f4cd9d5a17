import type onnxProto from 'onnx-proto';
import { loadOnnx } from '../onnx-proto.ts';

/** the coarse grid's cells per side of the square input; rows are added and removed in these steps */
const COARSE = 8;

/**
 * The input a BlazeFace model gets for frames of this shape. The models are square, and a 4:3 frame
 * letterboxed into one leaves a quarter of the input black (16:9: 44%): the model's whole cost, for
 * rows with nothing in them. A wider-than-tall frame gets the model's full width and only the rows
 * it fills, in whole coarse cells (the network is convolutional; withInputHeight adapts its few
 * fixed shapes). Taller frames keep the square.
 */
export function blazefaceInput(
  side: number,
  frame: { width: number; height: number },
): { width: number; height: number } {
  if (frame.height >= frame.width) return { width: side, height: side };
  const cell = side / COARSE;
  return { width: side, height: Math.max(cell, Math.ceil((side * frame.height) / frame.width / cell) * cell) };
}

/**
 * The model's bytes for an input `height` rows high instead of `side`: the input's declared shape,
 * the zero blocks that pad channels in its residual blocks (their rows scale with the input), and
 * the output reshapes (to [1, -1, k]). The bytes are the catalogue-verified file's, changed in these
 * fields only.
 */
export function withInputHeight(model: Uint8Array, side: number, height: number): Uint8Array {
  if (height === side) return model;
  const onnx = loadOnnx();
  const m = onnx.ModelProto.decode(model);
  const g = m.graph!;
  const dims = g.input![0]!.type!.tensorType!.shape!.dim!;
  if (dims.map((d) => Number(d.dimValue)).join() !== `1,${side},${side},3`)
    throw new Error(`not a ${side}x${side} BlazeFace input`);
  dims[1] = { dimValue: height };
  g.valueInfo = []; // intermediate shapes, declared for the square input; onnxruntime infers them
  for (const o of g.output!) o.type!.tensorType!.shape!.dim![1] = { dimParam: 'anchors' };
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const int64 = (t: onnxProto.onnx.ITensorProto) =>
    t.int64Data?.length
      ? t.int64Data.map(Number)
      : Array.from(new BigInt64Array(Uint8Array.from(t.rawData!).buffer), Number);
  const set = (t: onnxProto.onnx.ITensorProto, values: number[]) => {
    t.int64Data = [];
    t.rawData = new Uint8Array(BigInt64Array.from(values, BigInt).buffer);
  };
  const changed = new Set<string>();
  for (const n of g.node!) {
    const shape = n.opType === 'ConstantOfShape' ? n.input![0]! : n.opType === 'Reshape' ? n.input![1]! : null;
    const t = shape === null || changed.has(shape) ? undefined : inits.get(shape);
    if (!t) continue;
    const v = int64(t);
    if (n.opType === 'ConstantOfShape') {
      v[2] = (v[2]! * height) / side; // NCHW zeros: rows
      if (!Number.isInteger(v[2]))
        throw new Error(`input height ${height} is not a whole number of ${side}x${side} BlazeFace cells`);
    } else v[1] = -1; // [1, anchors, k]
    set(t, v);
    changed.add(shape!);
  }
  return onnx.ModelProto.encode(m).finish();
}
