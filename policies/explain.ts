import type { Candidate, EvalEnv } from './candidate.ts';
import type { Decision } from './decision.ts';
import { evaluate, outsideEffective } from './evaluate.ts';
import { localClock, ruleMismatch } from './match.ts';
import { fieldVerdict } from './outcome.ts';
import type { Policy, Transform } from './schema.ts';

export interface Explanation {
  decision: Decision;
  /** every rule, in order: whether it applied, and if not, why not */
  rules: Array<{ id: string; applies: boolean; why: string }>;
  /** every field of the input: sent (and how) or dropped (and why) */
  fields: Array<{ name: string; outcome: 'sent' | 'dropped'; why: string }>;
}

/**
 * Why the policy decided what it did, for a person. The decision itself comes from `evaluate`,
 * so an explanation can never disagree with what the gateway does.
 */
export function explain(policy: Policy | null, c: Candidate, env: EvalEnv): Explanation {
  const decision = evaluate(policy, c, env);
  if (!policy)
    return {
      decision,
      rules: [],
      fields: Object.keys(c.fields).map((name) => ({ name, outcome: 'dropped', why: 'no policy' })),
    };
  const clock = localClock(env.now, policy.timezone);
  const rules = policy.rules.map((r) => {
    const mismatch = ruleMismatch(r, c, clock);
    return { id: r.id, applies: mismatch === null, why: mismatch ?? 'it matches this record' };
  });
  const matching = policy.rules.filter((r) => decision.rules.includes(r.id));
  const notEffective = outsideEffective(policy, env.now);
  const fields = Object.keys(c.fields).map((name): Explanation['fields'][number] => {
    if (notEffective) return { name, outcome: 'dropped', why: notEffective };
    if (matching.length === 0) return { name, outcome: 'dropped', why: 'no rule applies' };
    const verdict = fieldVerdict(matching, name);
    if (!verdict.leaves) {
      const extenders = matching.filter((r) => r.allow.includes(name)).map((r) => r.id);
      return {
        name,
        outcome: 'dropped',
        why: `not allowed by ${verdict.refusedBy.join(', ')}${extenders.length ? `; ${extenders.join(', ')} ${extenders.length === 1 ? 'allows it but does' : 'allow it but do'} not extend ${verdict.refusedBy.join(', ')}` : ''}`,
      };
    }
    if (decision.action === 'withhold')
      return { name, outcome: 'dropped', why: `the record is withheld (${decision.reason})` };
    if (!Object.hasOwn(decision.fields, name))
      return {
        name,
        outcome: 'dropped',
        why: 'its value does not suit the transform, so it is dropped rather than sent raw',
      };
    const t = verdict.transform;
    const lifted = verdict.lifted
      .map((l) => `; ${l.by.join(', ')} extends ${l.rule}, which does not allow it`)
      .join('');
    return {
      name,
      outcome: 'sent',
      why: `${t ? `${describeTransform(t)}: ${JSON.stringify(decision.fields[name])}` : 'as is'}${lifted}`,
    };
  });
  return { decision, rules, fields };
}

export function describeTransform(t: Transform): string {
  const parts: string[] = [];
  if (t.roundTo) parts.push(`rounded down to the ${t.roundTo}`);
  if (t.coarsenMeters !== undefined) parts.push(`snapped to a ${t.coarsenMeters} m grid`);
  if (t.suppressBelow !== undefined) parts.push(`suppressed below ${t.suppressBelow} (sent as "<${t.suppressBelow}")`);
  if (t.bucket) parts.push(`put in ranges with edges [${t.bucket.join(', ')}]`);
  if (t.hash) parts.push('a keyed hash');
  return parts.join(', ');
}

export function formatExplanation(e: Explanation): string {
  const d = e.decision;
  const lines = [
    d.action === 'forward'
      ? `FORWARD (rules: ${d.rules.join(', ')})`
      : `WITHHOLD ${d.reason}: ${d.detail}${d.rules.length ? ` (rules: ${d.rules.join(', ')})` : ''}`,
    'rules:',
    ...e.rules.map((r) => `  ${r.applies ? '+' : '-'} ${r.id}: ${r.why}`),
    'fields:',
    ...e.fields.map((f) => `  ${f.outcome === 'sent' ? '+' : '-'} ${f.name}: ${f.outcome} ${f.why}`),
  ];
  if (d.action === 'forward') lines.push(`sent: ${JSON.stringify(d.fields)}`);
  return lines.join('\n');
}
