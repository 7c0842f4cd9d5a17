import { join } from 'node:path';
import { packageDir } from '../catalogue.ts';
import { OnnxBuilder } from '../convert/onnx-builder.ts';
import { FACE_SSD_SIDE } from './look.ts';
import { readFaceApiWeights, type Weight } from './weights.ts';

/** the anchor grid the weights' own anchors are laid out on: face-api.js runs the model at 512 */
const ORIGINAL_SIDE = 512;
/** anchors per cell of each of the six feature maps, as the weights' predictors have them */
const PER_CELL = [3, 6, 6, 6, 6, 6];
const BN_EPSILON = 0.0010000000474974513;

export function faceApiModelDir(): string {
  return join(packageDir('@vladmandic/face-api'), 'model');
}

/** the side of each feature map for an input of `side` (TF's SAME padding rounds stride-2 outputs up) */
export function featureSides(side: number): number[] {
  const half = (n: number, times: number) => {
    for (let i = 0; i < times; i++) n = Math.ceil(n / 2);
    return n;
  };
  const conv11 = half(side, 4); // strides at conv 0, 2, 4, 6
  const conv13 = half(conv11, 1); // and 12
  return [conv11, conv13, half(conv13, 1), half(conv13, 2), half(conv13, 3), half(conv13, 4)];
}

/**
 * Anchors (ymin, xmin, ymax, xmax, 0-1) for an input of `side`: the same sizes in pixels as the
 * weights' anchors for 512, centred on the cells of the smaller grids. Order: feature map, row, column, anchor.
 */
export function anchorsFor(original: Float32Array, side: number): Float32Array {
  const from = featureSides(ORIGINAL_SIDE);
  const to = featureSides(side);
  const out: number[] = [];
  // the network sees faces in pixels: an anchor keeps its size in pixels, so a larger share of a smaller input
  const grow = ORIGINAL_SIDE / side;
  let base = 0;
  from.forEach((g, l) => {
    const n = PER_CELL[l]!;
    const G = to[l]!;
    for (let i = 0; i < G; i++)
      for (let j = 0; j < G; j++)
        for (let k = 0; k < n; k++) {
          const a = (base + k) * 4;
          const [h, w] = [(original[a + 2]! - original[a]!) * grow, (original[a + 3]! - original[a + 1]!) * grow];
          const [cy, cx] = [(i + 0.5) / G, (j + 0.5) / G];
          out.push(cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2);
        }
    base += g * g * n;
  });
  if (base * 4 !== original.length) throw new Error(`face SSD: ${original.length / 4} anchors, expected ${base}`);
  return Float32Array.from(out);
}

/** a convolution's weights for ONNX: OIHW, with the group count (the channels, for a depthwise one) */
interface ConvWeights {
  dims: number[];
  data: Float32Array;
  group: number;
}

/** TF's HWIO filters as ONNX's OIHW */
function fromHwio(w: Weight): ConvWeights {
  const [h, wd, i, o] = w.shape as [number, number, number, number];
  const data = new Float32Array(w.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < wd; x++)
      for (let c = 0; c < i; c++)
        for (let k = 0; k < o; k++) data[((k * i + c) * h + y) * wd + x] = w.data[((y * wd + x) * i + c) * o + k]!;
  return { dims: [o, i, h, wd], data, group: 1 };
}

/** TF's depthwise HWC1 filters as ONNX's C1HW, each channel's filter scaled by its batch norm */
function fromDepthwise(w: Weight, scale: Float32Array): ConvWeights {
  const [h, wd, c] = w.shape as [number, number, number];
  const data = new Float32Array(w.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < wd; x++)
      for (let k = 0; k < c; k++) data[(k * h + y) * wd + x] = w.data[(y * wd + x) * c + k]! * scale[k]!;
  return { dims: [c, 1, h, wd], data, group: c };
}

/**
 * face-api.js's SSD MobileNetV1 face detector (MIT, trained on WIDER FACE), built as ONNX from the
 * weights @vladmandic/face-api ships: face-api.js defines the network in code (src/ssdMobilenetv1),
 * which this follows layer by layer, its depthwise batch norms folded into the convolutions. Input
 * NHWC [1,side,side,3] RGB 0-255; outputs per anchor the face score (sigmoid) and the box encoding
 * (ty, tx, th, tw), and the anchors. Deterministic: the catalogue pins the result's sha256.
 */
export async function convertFaceSsd(dir = faceApiModelDir(), side = FACE_SSD_SIDE): Promise<Uint8Array> {
  const weights = await readFaceApiWeights(dir, 'ssd_mobilenetv1_model');
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`face SSD: no weight ${name}`);
    return w;
  };
  const b = new OnnxBuilder();
  const six = b.init('six', 'float32', [], [6]);
  const zero = b.init('zero', 'float32', [], [0]);
  const conv = (x: string, w: ConvWeights, bias: Float32Array, stride: number, relu6: boolean): string => {
    const out = b.fresh('conv');
    const inputs = [
      x,
      b.init(b.fresh('w'), 'float32', w.dims, w.data),
      b.init(b.fresh('b'), 'float32', [w.dims[0]!], bias),
    ];
    b.node('Conv', inputs, [out], {
      auto_pad: 'SAME_UPPER', // TF's 'same': the extra row and column of padding after
      group: w.group,
      kernel_shape: w.dims.slice(2),
      strides: [stride, stride],
    });
    if (!relu6) return out;
    const clipped = b.fresh('relu6');
    b.node('Clip', [out, zero, six], [clipped]);
    return clipped;
  };
  const pointwise = (x: string, prefix: string, i: number, stride: number) =>
    conv(
      x,
      fromHwio(get(`${prefix}/Conv2d_${i}_pointwise/weights`)),
      get(`${prefix}/Conv2d_${i}_pointwise/convolution_bn_offset`).data,
      stride,
      true,
    );
  const depthwise = (x: string, i: number, stride: number) => {
    const p = `MobilenetV1/Conv2d_${i}_depthwise`;
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map(
      (n) => get(`${p}/BatchNorm/${n}`).data,
    ) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const scale = gamma.map((g, k) => g / Math.sqrt(variance[k]! + BN_EPSILON));
    return conv(
      x,
      fromDepthwise(get(`${p}/depthwise_weights`), scale),
      beta.map((v, k) => v - mean[k]! * scale[k]!),
      stride,
      true,
    );
  };
  // the input as face-api.js scales it (to [-1, 1]), in ONNX's channel order
  b.node('Transpose', ['image'], ['nchw'], { perm: [0, 3, 1, 2] });
  b.node('Mul', ['nchw', b.init('step', 'float32', [], [0.007843137718737125])], ['scaled']);
  b.node('Sub', ['scaled', b.init('one', 'float32', [], [1])], ['x']);
  let out = pointwise('x', 'MobilenetV1', 0, 2);
  let conv11 = '';
  for (let i = 1; i <= 13; i++) {
    out = depthwise(out, i, [2, 4, 6, 12].includes(i) ? 2 : 1);
    out = pointwise(out, 'MobilenetV1', i, 1);
    if (i === 11) conv11 = out;
  }
  const extra: string[] = [];
  let x = out;
  for (let i = 0; i < 8; i++) extra.push((x = pointwise(x, 'Prediction', i, i % 2 === 1 ? 2 : 1)));
  // per anchor, NHWC order: feature map, row, column, anchor (the order of the weights' anchors)
  const perAnchor = (t: string, k: number) => {
    const nhwc = b.fresh('nhwc');
    b.node('Transpose', [t], [nhwc], { perm: [0, 2, 3, 1] });
    const flat = b.fresh('flat');
    b.node('Reshape', [nhwc, b.init(`per_anchor_${k}`, 'int64', [3], [1, -1, k])], [flat]);
    return flat;
  };
  const boxes: string[] = [];
  const classes: string[] = [];
  [conv11, out, extra[1]!, extra[3]!, extra[5]!, extra[7]!].forEach((f, i) => {
    const p = `Prediction/BoxPredictor_${i}`;
    const head = (n: string) => conv(f, fromHwio(get(`${p}/${n}/weights`)), get(`${p}/${n}/biases`).data, 1, false);
    boxes.push(perAnchor(head('BoxEncodingPredictor'), 4));
    classes.push(perAnchor(head('ClassPredictor'), 3));
  });
  b.node('Concat', boxes, ['encodings'], { axis: 1 });
  b.node('Concat', classes, ['classes'], { axis: 1 });
  // class 1 is the face (0 background, 2 unused)
  b.node(
    'Slice',
    [
      'classes',
      b.init('face_from', 'int64', [1], [1]),
      b.init('face_to', 'int64', [1], [2]),
      b.init('face_axis', 'int64', [1], [2]),
    ],
    ['face_logits'],
  );
  b.node('Sigmoid', ['face_logits'], ['scores']);
  const anchors = anchorsFor(get('Output/extra_dim').data, side);
  b.node('Identity', [b.init('anchor_boxes', 'float32', [anchors.length / 4, 4], anchors)], ['anchors']);
  return b.encode({
    name: 'ssd_mobilenetv1_face',
    producer: 'veilgate',
    inputs: [{ name: 'image', shape: [1, side, side, 3] }],
    outputs: ['scores', 'encodings', 'anchors'],
    doc:
      `face-api.js SSD MobileNetV1 face detector from @vladmandic/face-api@1.7.15 model/ssd_mobilenetv1_model (MIT), built by veilgate for ${side}x${side}. ` +
      'Input: NHWC RGB 0-255 float. Outputs: scores [1,n,1] (sigmoid), encodings [1,n,4] (ty,tx,th,tw; scales 10,10,5,5), anchors [n,4] ymin,xmin,ymax,xmax normalized.',
  });
}
