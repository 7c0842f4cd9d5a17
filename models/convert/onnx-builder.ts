import type onnxProto from 'onnx-proto';
import { loadOnnx } from '../onnx-proto.ts';

const onnx = loadOnnx();
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttr = onnxProto.onnx.IAttributeProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;
export const DTYPE = { float32: FLOAT, int32: INT32, int64: INT64 } as const;

export type AttrValue = number | number[] | string;

/**
 * Collects ONNX nodes and initializers in the order they are added, so the same input always
 * gives the same bytes (the catalogue pins the built file's sha256).
 */
export class OnnxBuilder {
  private readonly nodes: INode[] = [];
  private readonly inits: ITensor[] = [];
  private readonly initNames = new Set<string>();
  private counter = 0;

  fresh(base: string): string {
    return `${base}__${this.counter++}`;
  }

  hasInit(name: string): boolean {
    return this.initNames.has(name);
  }

  init(name: string, dtype: keyof typeof DTYPE, dims: number[], values: ArrayLike<number>): string {
    if (this.initNames.has(name)) return name;
    let raw: Uint8Array;
    if (dtype === 'float32') raw = new Uint8Array(Float32Array.from(values).buffer);
    else if (dtype === 'int32') raw = new Uint8Array(Int32Array.from(values).buffer);
    else raw = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    this.inits.push({ name, dataType: DTYPE[dtype], dims, rawData: raw });
    this.initNames.add(name);
    return name;
  }

  node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    const attribute: IAttr[] = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string')
        return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
      if (Number.isInteger(v)) return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
      return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v };
    });
    this.nodes.push({ opType: op, input: inputs, output: outputs, name: outputs[0], attribute });
  }

  encode(opts: {
    name: string;
    producer: string;
    inputs: { name: string; shape: number[] }[];
    outputs: string[];
    doc: string;
  }): Uint8Array {
    const floatType = (shape?: number[]) => ({
      tensorType: { elemType: FLOAT, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) },
    });
    const model = onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      producerName: opts.producer,
      docString: opts.doc,
      graph: {
        name: opts.name,
        node: this.nodes,
        initializer: this.inits,
        input: opts.inputs.map((i) => ({ name: i.name, type: floatType(i.shape) })),
        output: opts.outputs.map((name) => ({ name, type: floatType() })),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
