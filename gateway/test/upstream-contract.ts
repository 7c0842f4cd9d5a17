import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
const DIR = new URL('../../docs/schema/records/', import.meta.url).pathname;

/**
 * The published contract (docs/schema/records/), read as the agency's systems would read it: with a
 * JSON Schema validator, not with our own zod schemas. Harnessed tests check every message that
 * reaches their upstream against it.
 */
function load(): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return new Map(
    readdirSync(DIR)
      .filter((f) => f.endsWith('.schema.json'))
      .map((f) => [f.replace('.schema.json', ''), ajv.compile(JSON.parse(readFileSync(join(DIR, f), 'utf8')))]),
  );
}

let validators: Map<string, ValidateFunction> | null = null;

/** Why a message on `topic` (under the upstream prefix) breaks the contract, or null. */
export function contractViolation(prefix: string, topic: string, payload: Buffer): string | null {
  validators ??= load();
  const parts = topic.slice(prefix.length + 1).split('/');
  const text = payload.toString('utf8');
  // the fleet view's own end marker (operations/fleet/collect.ts), empty and never retained
  if (parts[0] === 'fleet' && parts[1] === 'views' && parts.length === 3)
    return payload.length === 0 ? null : 'marker with a payload';
  if (parts[0] === 'fleet' && parts[1] === 'policies' && parts.length === 3)
    return payload.length === 0 ? null : check('fleet-policy', text, topic);
  if (parts.length === 2) {
    const [, what] = parts;
    if (what === 'status') return text === 'online' || text === 'offline' ? null : `status "${text}"`;
    if (what === 'audit-key')
      return text.startsWith('-----BEGIN PUBLIC KEY-----') ? null : 'audit-key is not a PEM key';
    if (what === 'audit-head' || what === 'audit-heads') return check('audit-head', text, topic);
    if (what === 'policy-status') return check('policy-status', text, topic);
    if (what === 'health') return check('health', text, topic);
    return `no contract for ${topic}`;
  }
  if (parts.length !== 3) return `no contract for ${topic}`;
  return check(parts[2]!, text, topic);
}

function check(schema: string, text: string, topic: string): string | null {
  const validate = validators!.get(schema);
  if (!validate) return `no schema for ${topic}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${topic}: not JSON`;
  }
  return validate(value) ? null : `${topic}: ${JSON.stringify(validate.errors?.slice(0, 3))} in ${text.slice(0, 300)}`;
}
