import { OnnxBuilder } from './onnx-builder.ts';
import { attrString, intList, type TfConst, type TfGraph, type TfNode } from './tfjs-graph.ts';

/**
 * Converts the part of a TF.js graph between `inputs` (tensors replaced by new float inputs; used
 * to cut away the TensorArray loop that only resizes the image) and `outputs` into ONNX opset 13.
 *
 * The TF graph is NHWC. Convolutions are wrapped in transposes to ONNX's NCHW and back; onnxruntime's
 * transpose optimizer removes the pairs between consecutive convolutions, so the graph keeps TF's
 * layout semantics everywhere else (reshapes and concats of box predictions depend on it).
 * Unknown ops fail the conversion with their name: nothing is guessed.
 */
export interface ConvertOptions {
  name: string;
  inputs: { tensor: string; name: string; shape: number[] }[];
  outputs: { tensor: string; name: string }[];
  doc: string;
}

type Emit = (n: TfNode, c: Ctx) => void;

class Ctx {
  readonly b = new OnnxBuilder();
  constructor(
    readonly g: TfGraph,
    readonly renamed: Map<string, string>,
  ) {}

  /** ONNX name of a TF tensor reference ("node" or "node:k"); constants become initializers */
  ref(r: string): string {
    const renamed = this.renamed.get(r);
    if (renamed) return renamed;
    const [node, k] = r.split(':');
    const c = this.g.consts.get(node!);
    if (c && this.g.nodes.get(node!)?.op === 'Const') return this.b.init(node!, c.dtype, c.shape, c.data);
    return k && k !== '0' ? `${node}:${k}` : node!;
  }

  constOf(r: string): TfConst {
    const c = this.g.consts.get(r.split(':')[0]!);
    if (!c) throw new Error(`${r} must be a constant for this conversion`);
    return c;
  }

  /** an int64 version of an int32 tensor (ONNX wants int64 for shapes, axes and repeats) */
  int64(r: string): string {
    const node = r.split(':')[0]!;
    if (this.g.nodes.get(node)?.op === 'Const') {
      const c = this.constOf(r);
      return this.b.init(`${node}__i64`, 'int64', c.shape, c.data);
    }
    const out = this.b.fresh(`${node}__i64`);
    this.b.node('Cast', [this.ref(r)], [out], { to: 7 });
    return out;
  }

  ints(values: number[], base: string): string {
    return this.b.init(`${base}__${values.join('_').replace(/-/g, 'm')}`, 'int64', [values.length], values);
  }
}

const elementwise: Record<string, string> = {
  Add: 'Add',
  BiasAdd: 'Add',
  Mul: 'Mul',
  Sub: 'Sub',
  Sigmoid: 'Sigmoid',
  Exp: 'Exp',
  AddN: 'Sum',
  Identity: 'Identity',
};

function samePadding(n: TfNode): void {
  if (attrString(n.attr.padding) !== 'SAME')
    throw new Error(`${n.name}: padding ${attrString(n.attr.padding)} not supported`);
  if (attrString(n.attr.data_format) && attrString(n.attr.data_format) !== 'NHWC')
    throw new Error(`${n.name}: data_format must be NHWC`);
  if (intList(n.attr.dilations).some((d) => d !== 1)) throw new Error(`${n.name}: dilations not supported`);
}

/** Conv in NCHW between two transposes, so input and output stay NHWC */
function conv(c: Ctx, n: TfNode, weights: { dims: number[]; data: Float32Array }, group: number): void {
  samePadding(n);
  const strides = intList(n.attr.strides);
  const w = c.b.init(`${n.name}__w`, 'float32', weights.dims, weights.data);
  const nchw = c.b.fresh(`${n.name}__nchw`);
  const out = c.b.fresh(`${n.name}__out`);
  c.b.node('Transpose', [c.ref(n.inputs[0]!)], [nchw], { perm: [0, 3, 1, 2] });
  c.b.node('Conv', [nchw, w], [out], {
    auto_pad: 'SAME_UPPER',
    strides: [strides[1]!, strides[2]!],
    group,
    kernel_shape: weights.dims.slice(2),
  });
  c.b.node('Transpose', [out], [n.name], { perm: [0, 2, 3, 1] });
}

/** a 4-D array's values with its axes reordered: output axis j is input axis perm[j] */
function permute(data: Float32Array | Int32Array, shape: number[], perm: number[]): Float32Array {
  const dims = perm.map((p) => shape[p]!);
  const stride = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < dims[0]!; a++)
    for (let b = 0; b < dims[1]!; b++)
      for (let d = 0; d < dims[2]!; d++)
        for (let e = 0; e < dims[3]!; e++) {
          const idx = [a, b, d, e];
          let src = 0;
          for (let j = 0; j < 4; j++) src += idx[j]! * stride[perm[j]!]!;
          out[o++] = data[src]!;
        }
  return out;
}

const emitters: Record<string, Emit> = {
  Conv2D(n, c) {
    // HWIO -> OIHW
    const k = c.constOf(n.inputs[1]!);
    const [h, w, i, o] = k.shape as [number, number, number, number];
    conv(c, n, { dims: [o, i, h, w], data: permute(k.data, k.shape, [3, 2, 0, 1]) }, 1);
  },
  DepthwiseConv2dNative(n, c) {
    // [H, W, C, M] -> [C, M, H, W], i.e. [C*M, 1, H, W] with output channel c*M + m as in TF
    const k = c.constOf(n.inputs[1]!);
    const [h, w, ch, m] = k.shape as [number, number, number, number];
    conv(c, n, { dims: [ch * m, 1, h, w], data: permute(k.data, k.shape, [2, 3, 0, 1]) }, ch);
  },
  FusedBatchNorm(n, c) {
    // inference batch norm folded to x * scale + shift on the channel (last) axis
    const [gamma, beta, mean, variance] = n.inputs.slice(1, 5).map((r) => c.constOf(r).data) as Float32Array[];
    const eps = n.attr.epsilon?.f ?? 0.001;
    const scale = gamma!.map((g, i) => g / Math.sqrt(variance![i]! + eps));
    const shift = beta!.map((b, i) => b - mean![i]! * scale[i]!);
    const scaled = c.b.fresh(`${n.name}__scaled`);
    c.b.node('Mul', [c.ref(n.inputs[0]!), c.b.init(`${n.name}__scale`, 'float32', [scale.length], scale)], [scaled]);
    c.b.node('Add', [scaled, c.b.init(`${n.name}__shift`, 'float32', [shift.length], shift)], [n.name]);
  },
  Relu6(n, c) {
    c.b.node(
      'Clip',
      [c.ref(n.inputs[0]!), c.b.init('__zero', 'float32', [], [0]), c.b.init('__six', 'float32', [], [6])],
      [n.name],
    );
  },
  Reshape(n, c) {
    c.b.node('Reshape', [c.ref(n.inputs[0]!), c.int64(n.inputs[1]!)], [n.name]);
  },
  ConcatV2(n, c) {
    const axis = c.constOf(n.inputs[n.inputs.length - 1]!).data[0]!;
    c.b.node(
      'Concat',
      n.inputs.slice(0, -1).map((r) => c.ref(r)),
      [n.name],
      { axis },
    );
  },
  Squeeze(n, c) {
    c.b.node('Squeeze', [c.ref(n.inputs[0]!), c.ints(intList(n.attr.squeeze_dims), 'axes')], [n.name]);
  },
  ExpandDims(n, c) {
    c.b.node('Unsqueeze', [c.ref(n.inputs[0]!), c.int64(n.inputs[1]!)], [n.name]);
  },
  Transpose(n, c) {
    c.b.node('Transpose', [c.ref(n.inputs[0]!)], [n.name], { perm: Array.from(c.constOf(n.inputs[1]!).data) });
  },
  Tile(n, c) {
    c.b.node('Tile', [c.ref(n.inputs[0]!), c.int64(n.inputs[1]!)], [n.name]);
  },
  Shape(n, c) {
    const s = c.b.fresh(`${n.name}__i64`);
    c.b.node('Shape', [c.ref(n.inputs[0]!)], [s]);
    c.b.node('Cast', [s], [n.name], { to: 6 });
  },
  Slice(n, c) {
    const begin = Array.from(c.constOf(n.inputs[1]!).data);
    const size = Array.from(c.constOf(n.inputs[2]!).data);
    const ends = size.map((s, i) => (s === -1 ? 2 ** 31 - 1 : begin[i]! + s));
    c.b.node('Slice', [c.ref(n.inputs[0]!), c.ints(begin, 'starts'), c.ints(ends, 'ends')], [n.name]);
  },
  StridedSlice(n, c) {
    const bits = (k: string) => Number(n.attr[k]?.i ?? 0);
    if (bits('ellipsis_mask') || bits('new_axis_mask'))
      throw new Error(`${n.name}: ellipsis and new-axis masks not supported`);
    const begin = Array.from(c.constOf(n.inputs[1]!).data);
    const end = Array.from(c.constOf(n.inputs[2]!).data);
    const strides = Array.from(c.constOf(n.inputs[3]!).data);
    const shrink: number[] = [];
    const starts = begin.map((b, i) => (bits('begin_mask') & (1 << i) ? (strides[i]! > 0 ? 0 : -1) : b));
    const ends = end.map((e, i) => {
      if (bits('shrink_axis_mask') & (1 << i)) {
        shrink.push(i);
        return begin[i]! === -1 ? 2 ** 31 - 1 : begin[i]! + 1;
      }
      return bits('end_mask') & (1 << i) ? (strides[i]! > 0 ? 2 ** 31 - 1 : -(2 ** 31)) : e;
    });
    const axes = begin.map((_, i) => i);
    const sliced = shrink.length ? c.b.fresh(`${n.name}__sliced`) : n.name;
    c.b.node(
      'Slice',
      [
        c.ref(n.inputs[0]!),
        c.ints(starts, 'starts'),
        c.ints(ends, 'ends'),
        c.ints(axes, 'axes'),
        c.ints(strides, 'steps'),
      ],
      [sliced],
    );
    if (shrink.length) c.b.node('Squeeze', [sliced, c.ints(shrink, 'axes')], [n.name]);
  },
  Pack(n, c) {
    const axis = Number(n.attr.axis?.i ?? 0);
    const parts = n.inputs.map((r) => {
      const u = c.b.fresh(`${n.name}__part`);
      c.b.node('Unsqueeze', [c.ref(r), c.ints([axis], 'axes')], [u]);
      return u;
    });
    c.b.node('Concat', parts, [n.name], { axis });
  },
  Unpack(n, c) {
    const axis = Number(n.attr.axis?.i ?? 0);
    const num = Number(n.attr.num?.i);
    const pieces = Array.from({ length: num }, () => c.b.fresh(`${n.name}__piece`));
    c.b.node('Split', [c.ref(n.inputs[0]!)], pieces, { axis });
    pieces.forEach((p, k) => c.b.node('Squeeze', [p, c.ints([axis], 'axes')], [k === 0 ? n.name : `${n.name}:${k}`]));
  },
};

export function convertTfGraph(g: TfGraph, opts: ConvertOptions): Uint8Array {
  const renamed = new Map(opts.inputs.map((i) => [i.tensor, i.name]));
  const c = new Ctx(g, renamed);
  const done = new Set<string>();
  const visit = (ref: string): void => {
    if (renamed.has(ref)) return;
    const name = ref.split(':')[0]!;
    if (done.has(name)) return;
    done.add(name);
    const n = g.nodes.get(name);
    if (!n) throw new Error(`graph has no node ${name}`);
    if (n.op === 'Const') return;
    n.inputs.forEach(visit);
    const emitter = elementwise[n.op]
      ? (m: TfNode) =>
          c.b.node(
            elementwise[m.op]!,
            m.inputs.map((r) => c.ref(r)),
            [m.name],
          )
      : emitters[n.op];
    if (!emitter) throw new Error(`op ${n.op} (node ${n.name}) has no ONNX conversion`);
    emitter(n, c);
  };
  for (const o of opts.outputs) visit(o.tensor);
  for (const o of opts.outputs) c.b.node('Identity', [c.ref(o.tensor)], [o.name]);
  return c.b.encode({
    name: opts.name,
    producer: 'veilgate models/convert',
    inputs: opts.inputs,
    outputs: opts.outputs.map((o) => o.name),
    doc: opts.doc,
  });
}
