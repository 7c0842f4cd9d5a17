import { createRequire } from 'node:module';
import type onnxProto from 'onnx-proto';

/** onnx-proto's protobuf classes */
export type Onnx = typeof onnxProto.onnx;

let onnx: Onnx | undefined;

/**
 * onnx-proto, required on first use rather than imported: the bundled gateway (npm run build)
 * would hoist an import to its top, and every frame worker would carry this library's memory.
 * Model builds need it, and a frame worker only when BlazeFace adapts a model to a wide frame.
 */
export function loadOnnx(): Onnx {
  return (onnx ??= (createRequire(import.meta.url)('onnx-proto') as typeof onnxProto).onnx);
}
