import type { Rule, Transform } from './schema.ts';
import { strictestTransform } from './transforms.ts';

/**
 * What happens to one field of a record when exactly `rules` apply to it. The one place the
 * overlap semantics live: the evaluator, `policy explain`, `policy diff`, `policy check` and the
 * transparency report all ask this function, so none of them can tell a different story.
 */
export type FieldVerdict =
  | {
      leaves: true;
      /** the strictest combination of every applying rule's transform of the field */
      transform: Transform | undefined;
      /** rules that do not allow the field, each with the applying rules that extend it and allow it */
      lifted: Array<{ rule: string; by: string[] }>;
    }
  | { leaves: false; refusedBy: string[] };

/**
 * A field leaves only if every applying rule allows it, or is extended (`extends: [id]`) by an
 * applying rule that allows it. Extension is one step: a rule lifts the refusal of the rules it
 * names, not of the rules those extend. Transforms combine to the stricter across all applying
 * rules that allow the field, so extending a rule never loosens how a field it also allows leaves.
 */
export function fieldVerdict(rules: readonly Rule[], field: string): FieldVerdict {
  if (rules.length === 0) return { leaves: false, refusedBy: [] };
  const refusedBy: string[] = [];
  const lifted: Array<{ rule: string; by: string[] }> = [];
  for (const r of rules) {
    if (r.allow.includes(field)) continue;
    const by = rules.filter((s) => s.extends?.includes(r.id) && s.allow.includes(field)).map((s) => s.id);
    if (by.length > 0) lifted.push({ rule: r.id, by });
    else refusedBy.push(r.id);
  }
  if (refusedBy.length > 0) return { leaves: false, refusedBy };
  return { leaves: true, transform: combinedTransform(rules, field), lifted };
}

/** Every field any of the rules allows that leaves when they all apply, in the rules' order. */
export function leavingFields(rules: readonly Rule[]): Array<{ name: string; transform: Transform | undefined }> {
  const out: Array<{ name: string; transform: Transform | undefined }> = [];
  const seen = new Set<string>();
  for (const r of rules) {
    for (const name of r.allow) {
      if (seen.has(name)) continue;
      seen.add(name);
      const v = fieldVerdict(rules, name);
      if (v.leaves) out.push({ name, transform: v.transform });
    }
  }
  return out;
}

export function combinedTransform(rules: readonly Rule[], field: string): Transform | undefined {
  return rules.reduce<Transform | undefined>((t, r) => strictestTransform(t, r.transforms?.[field]), undefined);
}
