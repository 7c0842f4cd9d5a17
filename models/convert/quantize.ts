import type onnxProto from 'onnx-proto';
import { loadOnnx } from '../onnx-proto.ts';

const onnx = loadOnnx();
type Model = onnxProto.onnx.ModelProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

/** Activation ranges measured on calibration frames: tensor name -> [min, max], 0 included. */
export type Ranges = Record<string, readonly [number, number]>;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const UINT8 = onnx.TensorProto.DataType.UINT8;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT32 = onnx.TensorProto.DataType.INT32;

/**
 * Static int8 quantization of a convolutional float model in ONNX's QDQ form, which onnxruntime
 * turns into integer kernels (QLinearConv, QLinearAdd): weights int8 per output channel
 * (symmetric), biases int32, activations uint8 per tensor from calibrated ranges. Pure arithmetic
 * on the float model's bytes and the ranges, so the same inputs give the same bytes on any machine
 * (the catalogue pins the result's sha256).
 *
 * First the per-channel affine ops the converter leaves after each convolution (batch norm's scale
 * and shift, the bias add) are folded into its weights and bias: a float Add between Conv and its
 * quantizer would keep onnxruntime from fusing them, and nothing would get faster.
 */
export function quantizeQdq(floatModel: Uint8Array, ranges: Ranges): Uint8Array {
  const model = onnx.ModelProto.decode(floatModel);
  foldConvAffine(model);
  const g = new GraphView(model);
  const quantized = g.quantizedTensors();
  const missing = quantized.filter((t) => !ranges[t]);
  if (missing.length > 0)
    throw new Error(
      `no calibrated range for ${missing.length} tensors (first: ${missing[0]}): calibrate again for this model`,
    );
  // quantizers go after the node that makes a tensor; one on a graph input would need its own place
  const inputs = quantized.filter((t) => model.graph!.input!.some((i) => i.name === t));
  if (inputs.length > 0) throw new Error(`graph input ${inputs[0]} feeds a convolution directly: not supported`);
  const params = new Map(quantized.map((t) => [t, activationParams(ranges[t]!)]));
  const inits: ITensor[] = [];
  const nodes: INode[] = [];
  const dq = (t: string) => (params.has(t) ? `${t}__dq` : t);
  for (const n of model.graph!.node!) {
    const node: INode = { ...n, input: n.input!.map(dq) };
    if (isWeightedConv(n, g)) {
      const x = g.convInput(n);
      node.input = quantizeConvParams(n, g, params.get(x)!.scale, inits, nodes);
      node.input.unshift(dq(n.input![0]!));
    }
    nodes.push(node);
    for (const out of n.output!) {
      const p = params.get(out);
      if (!p) continue;
      inits.push(
        { name: `${out}__s`, dataType: FLOAT, dims: [], floatData: [p.scale] },
        { name: `${out}__z`, dataType: UINT8, dims: [], int32Data: [p.zero] },
      );
      nodes.push({
        opType: 'QuantizeLinear',
        name: `${out}__quantize`,
        input: [out, `${out}__s`, `${out}__z`],
        output: [`${out}__q`],
      });
      nodes.push({
        opType: 'DequantizeLinear',
        name: `${out}__dequantize`,
        input: [`${out}__q`, `${out}__s`, `${out}__z`],
        output: [`${out}__dq`],
      });
    }
  }
  model.graph!.node = nodes;
  const used = new Set(nodes.flatMap((n) => n.input!));
  model.graph!.initializer = [...model.graph!.initializer!, ...inits].filter((t) =>
    used.has(t.name!),
  ) as onnxProto.onnx.TensorProto[];
  // per-channel DequantizeLinear (its axis attribute) needs opset 13
  for (const o of model.opsetImport ?? []) if (!o.domain && Number(o.version) < 13) o.version = 13;
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The float model with the affine ops after its convolutions folded in, and every tensor that quantization needs a
 * range for exposed as an output: what calibration runs.
 */
export function calibrationModel(floatModel: Uint8Array): { bytes: Uint8Array; tensors: string[] } {
  const model = onnx.ModelProto.decode(floatModel);
  foldConvAffine(model);
  const tensors = new GraphView(model).quantizedTensors();
  for (const name of tensors)
    model.graph!.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT } } }));
  return { bytes: onnx.ModelProto.encode(model).finish(), tensors };
}

/** The float model with only the folding done: what the fold's own test compares to the original. */
export function foldedModel(floatModel: Uint8Array): { bytes: Uint8Array; folded: number } {
  const model = onnx.ModelProto.decode(floatModel);
  const folded = foldConvAffine(model);
  return { bytes: onnx.ModelProto.encode(model).finish(), folded };
}

function activationParams([lo, hi]: readonly [number, number]): { scale: number; zero: number } {
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const scale = Math.fround(Math.max(max - min, 1e-6) / 255);
  return { scale, zero: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/** int8 weights per output channel and an int32 bias at scale input x weight; returns the Conv's inputs after x */
function quantizeConvParams(n: INode, g: GraphView, inputScale: number, inits: ITensor[], nodes: INode[]): string[] {
  const w = g.init(n.input![1]!)!;
  const data = floats(w);
  const channels = Number(w.dims![0]);
  const per = data.length / channels;
  const scales = new Float32Array(channels);
  const q = new Int8Array(data.length);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(data[c * per + i]!));
    scales[c] = Math.max(m, 1e-8) / 127;
    for (let i = 0; i < per; i++) q[c * per + i] = Math.round(data[c * per + i]! / scales[c]!);
  }
  const name = n.input![1]!;
  inits.push(
    { name: `${name}__q`, dataType: INT8, dims: w.dims, rawData: new Uint8Array(q.buffer) },
    { name: `${name}__s`, dataType: FLOAT, dims: [channels], rawData: new Uint8Array(scales.buffer) },
    { name: `${name}__z`, dataType: INT8, dims: [channels], rawData: new Uint8Array(channels) },
  );
  nodes.push({
    opType: 'DequantizeLinear',
    name: `${name}__dequantize`,
    input: [`${name}__q`, `${name}__s`, `${name}__z`],
    output: [`${name}__dq`],
    attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
  });
  const inputs = [`${name}__dq`];
  const biasName = n.input![2];
  if (biasName) {
    const bias = floats(g.init(biasName)!);
    const bs = scales.map((s) => s * inputScale);
    inits.push(
      {
        name: `${biasName}__q`,
        dataType: INT32,
        dims: [channels],
        rawData: new Uint8Array(Int32Array.from(bias, (b, c) => Math.round(b / bs[c]!)).buffer),
      },
      { name: `${biasName}__s`, dataType: FLOAT, dims: [channels], rawData: new Uint8Array(bs.buffer) },
      { name: `${biasName}__z`, dataType: INT32, dims: [channels], rawData: new Uint8Array(channels * 4) },
    );
    nodes.push({
      opType: 'DequantizeLinear',
      name: `${biasName}__dequantize`,
      input: [`${biasName}__q`, `${biasName}__s`, `${biasName}__z`],
      output: [`${biasName}__dq`],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    });
    inputs.push(`${biasName}__dq`);
  }
  return inputs;
}

function floats(t: ITensor): Float32Array {
  if (t.dataType !== FLOAT) throw new Error(`initializer ${t.name} is not float32`);
  if (t.rawData && t.rawData.length > 0) return new Float32Array(Uint8Array.from(t.rawData).buffer);
  return Float32Array.from(t.floatData ?? []);
}

const isWeightedConv = (n: INode, g: GraphView) => n.opType === 'Conv' && g.init(n.input![1]!) !== undefined;
const isActivation = (n: INode | undefined) => n?.opType === 'Clip' || n?.opType === 'Relu';

/** Producers, consumers and initializers of a graph, and the tensors quantization puts a quantizer on. */
class GraphView {
  private readonly inits: Map<string, ITensor>;
  private readonly producers = new Map<string, INode>();
  private readonly consumers = new Map<string, INode[]>();

  constructor(readonly model: Model) {
    this.inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
    for (const n of model.graph!.node!) {
      for (const o of n.output!) this.producers.set(o, n);
      for (const i of n.input!) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    }
  }

  init(name: string): ITensor | undefined {
    return this.inits.get(name);
  }

  only(tensor: string): INode | undefined {
    const c = this.consumers.get(tensor) ?? [];
    return c.length === 1 ? c[0] : undefined;
  }

  /** the tensor a Conv reads, looking through the layout transpose the converter puts before it */
  convInput(n: INode): string {
    const p = this.producers.get(n.input![0]!);
    return p?.opType === 'Transpose' ? p.input![0]! : n.input![0]!;
  }

  /**
   * Where quantizers go: what each convolution reads and (unless an activation follows, which is
   * quantized instead so that onnxruntime drops it into the quantizer's range) what it produces,
   * activation outputs, and both sides of residual adds. Layout transposes are looked through:
   * onnxruntime moves them across the quantizers and cancels them.
   */
  quantizedTensors(): string[] {
    const found = new Set<string>();
    const unlessActivated = (t: string) => {
      if (!isActivation(this.only(t))) found.add(t);
    };
    for (const n of this.model.graph!.node!) {
      if (isWeightedConv(n, this)) {
        found.add(this.convInput(n));
        const next = this.only(n.output![0]!);
        unlessActivated(next?.opType === 'Transpose' ? next.output![0]! : n.output![0]!);
      } else if (isActivation(n)) {
        found.add(n.output![0]!);
      } else if (n.opType === 'Add' && n.input!.every((i) => this.fromConvolution(i))) {
        n.input!.forEach((i) => found.add(i));
        unlessActivated(n.output![0]!);
      }
    }
    return [...found];
  }

  /**
   * whether a tensor is a convolution's output (through its layout transpose, an activation or a
   * residual add): adds elsewhere, such as SSD's box decoding, stay float, since a uint8 step of a
   * box coordinate would be several pixels
   */
  private fromConvolution(t: string): boolean {
    const p = this.producers.get(t);
    if (!p) return false;
    if (isWeightedConv(p, this)) return true;
    if (p.opType === 'Transpose' || isActivation(p)) return this.fromConvolution(p.input![0]!);
    return p.opType === 'Add' && p.input!.every((i) => this.fromConvolution(i));
  }
}

/**
 * Conv -> Transpose -> [Mul by a per-channel constant] -> [Add a per-channel constant] becomes
 * Conv(weights x scale, bias) -> Transpose: the converter's form of TF's conv, batch norm and bias.
 */
function foldConvAffine(model: Model): number {
  const g = new GraphView(model);
  const dropped = new Set<INode>();
  const added: ITensor[] = [];
  let folded = 0;
  for (const conv of model.graph!.node!) {
    if (!isWeightedConv(conv, g) || conv.input![2]) continue;
    const transpose = g.only(conv.output![0]!);
    if (transpose?.opType !== 'Transpose') continue;
    const w = g.init(conv.input![1]!)!;
    const channels = Number(w.dims![0]);
    const perChannel = (n: INode | undefined, op: string) => {
      if (n?.opType !== op) return undefined;
      const c = g.init(n.input![1]!);
      return c && c.dims!.length === 1 && Number(c.dims![0]) === channels ? floats(c) : undefined;
    };
    let weights = floats(w);
    const bias = new Float32Array(channels);
    let last = transpose;
    let next = g.only(transpose.output![0]!);
    const scale = perChannel(next, 'Mul');
    if (scale) {
      const per = weights.length / channels;
      weights = weights.map((v, i) => v * scale[Math.floor(i / per)]!);
      dropped.add(next!);
      last = next!;
      next = g.only(next!.output![0]!);
    }
    const shift = perChannel(next, 'Add');
    if (shift) {
      bias.set(shift);
      dropped.add(next!);
      last = next!;
    }
    if (last === transpose) continue;
    const name = conv.input![1]!;
    added.push(
      { name: `${name}__folded`, dataType: FLOAT, dims: w.dims, rawData: new Uint8Array(weights.buffer) },
      { name: `${name}__bias`, dataType: FLOAT, dims: [channels], rawData: new Uint8Array(bias.buffer) },
    );
    conv.input = [conv.input![0]!, `${name}__folded`, `${name}__bias`];
    transpose.output = [last.output![0]!];
    folded++;
  }
  const graph = model.graph!;
  graph.node = graph.node!.filter((n) => !dropped.has(n));
  const used = new Set(graph.node.flatMap((n) => n.input!));
  graph.initializer = [...graph.initializer!, ...(added as onnxProto.onnx.TensorProto[])].filter((t) =>
    used.has(t.name!),
  );
  return folded;
}
