import type { z } from 'zod';
import { Policy } from './schema.ts';
import { closest } from './spelling.ts';

/**
 * "did you mean" for a key the schema does not know, by edit distance against the keys it accepts
 * at that place (`gatewayID` suggests `gatewayId`, `broker.prot` suggests `port`); undefined for
 * any other issue, or when nothing is close.
 */
export function unknownKeyHint(schema: z.core.$ZodType, issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const near = closest(issue.keys[0] ?? '', keysAt(schema, issue.path));
  return near ? `did you mean "${near}"?` : undefined;
}

/** A fix hint for a policy schema issue, for privacy officers rather than programmers. */
export function hintForPolicyIssue(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    const near = unknownKeyHint(Policy, issue);
    if (near) return near;
    const key = issue.keys[0] ?? '';
    if (key === 'deny' || key === 'block')
      return 'policies are allow-lists: list what may leave under "allow"; everything else is withheld';
    const known = keysAt(Policy, issue.path);
    return known.length > 0 ? `known keys here: ${known.join(', ')}` : undefined;
  }
  if (issue.code === 'invalid_type' && issue.path.at(-1) === 'allow')
    return 'allow is a list of field names, e.g. allow: [type, at]';
  return undefined;
}

/** The keys the schema accepts for the object at `path`, found by walking the schema itself. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.core.$ZodType | undefined = schema;
  for (const key of [...path, null]) {
    s = s && unwrap(s);
    if (!s) return [];
    const def = s._zod.def as unknown as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
      valueType?: z.core.$ZodType;
    };
    if (key === null) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    if (def.type === 'object') s = def.shape?.[String(key)];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return [];
  }
  return [];
}

function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  let cur = s;
  for (;;) {
    const def = cur._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
}
