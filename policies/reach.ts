import { isDeepStrictEqual } from 'node:util';
import { fieldKind, RECORD_FIELDS } from '../devices/index.ts';
import { fieldVerdict } from './outcome.ts';
import type { Policy, Rule, Transform } from './schema.ts';
import { situations, type Situation } from './situations.ts';

/** How one field a rule allows fares wherever that rule applies, given the other rules. */
export interface FieldReach {
  name: string;
  /** each distinct way it leaves, with an example and the other applying rules that transform it too */
  ways: Array<{ transform: Transform | undefined; example: Situation; alsoTransformedBy: string[] }>;
  /** each distinct set of applying rules that keeps it in, with an example */
  blocked: Array<{ refusedBy: string[]; example: Situation }>;
}

export interface TypeReach {
  recordType: string;
  /** the fields the rule allows that this record type has */
  allowed: FieldReach[];
  /** fields the rule does not allow that still leave where it applies, because a rule extending it allows them */
  extra: Array<{ name: string; by: string[]; example: Situation }>;
}

export interface RuleReach {
  rule: Rule;
  types: TypeReach[];
}

/**
 * What can actually leave under each rule, for each of its record types, given every other rule:
 * the evaluator's own outcome (outcome.ts) asked about one example of every way the rules can
 * apply together (situations.ts). The report's words and `policy check`'s warnings come from this.
 */
export function reach(policy: Policy): RuleReach[] {
  const all = situations([policy]);
  return policy.rules.map((rule) => ({
    rule,
    types: rule.match.recordTypes.map((recordType) => {
      const here = all.filter((s) => s.recordType === recordType && s.rules[0]!.includes(rule));
      const fields = Object.keys(RECORD_FIELDS[recordType as keyof typeof RECORD_FIELDS] ?? {});
      return {
        recordType,
        allowed: rule.allow.filter((f) => fieldKind(recordType, f)).map((f) => fieldReach(rule, f, here)),
        extra: fields.filter((f) => !rule.allow.includes(f)).flatMap((f) => extraReach(rule, f, here)),
      };
    }),
  }));
}

/** Whether the field exists at all in the situation's record: `zone` only where the device has one. */
export function present(field: string, s: Situation): boolean {
  return field !== 'zone' || s.zone !== undefined;
}

function fieldReach(rule: Rule, name: string, here: readonly Situation[]): FieldReach {
  const out: FieldReach = { name, ways: [], blocked: [] };
  for (const s of here) {
    if (!present(name, s)) continue;
    const applying = s.rules[0]!;
    const v = fieldVerdict(applying, name);
    if (v.leaves) {
      if (out.ways.some((w) => isDeepStrictEqual(w.transform, v.transform))) continue;
      const alsoTransformedBy = applying.filter((r) => r !== rule && r.transforms?.[name]).map((r) => r.id);
      out.ways.push({ transform: v.transform, example: s, alsoTransformedBy });
    } else if (!out.blocked.some((b) => isDeepStrictEqual(b.refusedBy, v.refusedBy)))
      out.blocked.push({ refusedBy: v.refusedBy, example: s });
  }
  return out;
}

function extraReach(rule: Rule, name: string, here: readonly Situation[]): TypeReach['extra'] {
  for (const s of here) {
    if (!present(name, s)) continue;
    const v = fieldVerdict(s.rules[0]!, name);
    const lift = v.leaves ? v.lifted.find((l) => l.rule === rule.id) : undefined;
    if (lift) return [{ name, by: lift.by, example: s }];
  }
  return [];
}
