import type { Candidate, EvalEnv } from './candidate.ts';
import { WITHHOLD_REASONS, type Decision, type WithholdReason } from './decision.ts';
import { localClock, ruleMismatch, type LocalClock } from './match.ts';
import { leavingFields } from './outcome.ts';
import type { Policy, Rule } from './schema.ts';
import { applyTransform } from './transforms.ts';

/**
 * Decides what of a candidate record may leave. Pure and total: never throws, no clock or I/O of
 * its own (time, salt and rate-limit state come in `env`).
 * Default deny: no matching rule means withhold. Where several rules match, the strictest wins:
 * only fields every matching rule allows (or a matching rule extending it allows) are sent, each
 * with the strictest combination of the rules' transforms (outcome.ts), and every matching rule's
 * rate limit applies.
 */
export function evaluate(policy: Policy | null, candidate: Candidate, env: EvalEnv): Decision {
  if (!policy) return withhold([], 'NO_POLICY', WITHHOLD_REASONS.NO_POLICY);
  const outside = outsideEffective(policy, env.now);
  if (outside) return withhold([], 'POLICY_NOT_EFFECTIVE', outside);
  const clock = localClock(env.now, policy.timezone);
  const rules = matchingRules(policy, candidate, clock);
  const ids = rules.map((r) => r.id);
  if (rules.length === 0) {
    return withhold([], 'NO_RULE', `${WITHHOLD_REASONS.NO_RULE} (${candidate.recordType} from ${candidate.deviceId})`);
  }
  const fields: Record<string, unknown> = {};
  for (const { name, transform } of leavingFields(rules)) {
    if (!Object.hasOwn(candidate.fields, name)) continue;
    const value = transform ? applyTransform(candidate.fields[name], transform, env.salt) : candidate.fields[name];
    if (value !== undefined) fields[name] = value;
  }
  if (Object.keys(fields).length === 0) return withhold(ids, 'NOTHING_ALLOWED', WITHHOLD_REASONS.NOTHING_ALLOWED);
  const limited = rules.filter((r) => r.rateLimit);
  if (limited.length > 0 && env.limits) {
    const keys = limited.map((r) => ({ key: `${r.id}\u0000${candidate.deviceId}`, ...r.rateLimit! }));
    if (!env.limits.take(keys, env.now)) {
      return withhold(
        ids,
        'RATE_LIMITED',
        `${WITHHOLD_REASONS.RATE_LIMITED} (${limited.map((r) => `${r.id}: ${r.rateLimit!.max} per ${r.rateLimit!.perSeconds} s`).join('; ')})`,
      );
    }
  }
  return { action: 'forward', rules: ids, fields };
}

function withhold(rules: string[], reason: WithholdReason, detail: string): Decision {
  return { action: 'withhold', rules, reason, detail };
}

/** The rules that apply to the candidate at the clock's time. */
export function matchingRules(policy: Policy, candidate: Candidate, clock: LocalClock): Rule[] {
  return policy.rules.filter((r) => ruleMismatch(r, candidate, clock) === null);
}

const DAY_MS = 86_400_000;
const effectiveCache = new WeakMap<Policy, { from: number; until: number }>();

/** Why the policy is not in force at `now`, or null. A date-only `until` includes that whole day (UTC). */
export function outsideEffective(policy: Policy, now: number): string | null {
  if (!policy.effective) return null;
  let range = effectiveCache.get(policy);
  if (!range) {
    const { from, until } = policy.effective;
    const untilMs = until === undefined ? Infinity : Date.parse(until) + (until.length === 10 ? DAY_MS : 0);
    range = { from: from === undefined ? -Infinity : Date.parse(from), until: untilMs };
    effectiveCache.set(policy, range);
  }
  if (now < range.from) return `the policy takes effect on ${policy.effective.from}`;
  if (now >= range.until) return `the policy ended on ${policy.effective.until}`;
  return null;
}
