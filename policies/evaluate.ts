import type { Candidate } from './candidate.ts';
import { WITHHOLD_REASONS, type Decision } from './decision.ts';
import type { Policy, Rule, Transform } from './schema.ts';
import { applyTransform, strictestTransform } from './transforms.ts';

/**
 * Decides what of a candidate record may leave. Pure and total: never throws.
 * Default deny: no matching rule means withhold. Where several rules match, the strictest wins:
 * only fields every matching rule allows are sent, with the coarsest transform any of them asks for.
 */
export function evaluate(policy: Policy | null, candidate: Candidate): Decision {
  if (!policy) return withhold([], 'NO_POLICY', WITHHOLD_REASONS.NO_POLICY);
  const rules = policy.rules.filter((r) => ruleMatches(r, candidate));
  const ids = rules.map((r) => r.id);
  if (rules.length === 0) {
    return withhold([], 'NO_RULE', `${WITHHOLD_REASONS.NO_RULE} (${candidate.recordType} from ${candidate.deviceId})`);
  }
  const allowed = rules
    .map((r) => new Set(r.allow))
    .reduce((acc, set) => new Set([...acc].filter((f) => set.has(f))));
  const fields: Record<string, unknown> = {};
  for (const name of allowed) {
    if (!Object.hasOwn(candidate.fields, name)) continue;
    const transform = rules.reduce<Transform | undefined>((t, r) => strictestTransform(t, r.transforms?.[name]), undefined);
    const value = transform ? applyTransform(candidate.fields[name], transform) : candidate.fields[name];
    if (value !== undefined) fields[name] = value;
  }
  if (Object.keys(fields).length === 0) return withhold(ids, 'NOTHING_ALLOWED', WITHHOLD_REASONS.NOTHING_ALLOWED);
  return { action: 'forward', rules: ids, fields };
}

function withhold(rules: string[], reason: keyof typeof WITHHOLD_REASONS, detail: string): Decision {
  return { action: 'withhold', rules, reason, detail };
}

export function ruleMatches(rule: Rule, c: Candidate): boolean {
  const m = rule.match;
  if (!m.recordTypes.includes(c.recordType)) return false;
  if (m.deviceKinds && !m.deviceKinds.includes(c.deviceKind)) return false;
  if (m.devices && !m.devices.some((p) => globMatches(p, c.deviceId))) return false;
  return true;
}

function globMatches(pattern: string, id: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(id);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
