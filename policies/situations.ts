import { DEVICE_KINDS, DeviceKind } from '../devices/index.ts';
import type { Candidate } from './candidate.ts';
import { clockMinutes } from './local-time.ts';
import { deviceMatches, ruleMismatch, timeMatches, zoneMatches, type LocalMinute } from './match.ts';
import { DAYS, type Policy, type Rule, type RuleMatch } from './schema.ts';

/**
 * One record the gateway could see, standing for every record to which the same rules apply: a
 * record type, a device (kind, id, zone) and a local time of the week.
 */
export interface Situation {
  recordType: string;
  deviceKind: DeviceKind;
  deviceId: string;
  zone: string | undefined;
  /** undefined when no rule has a time window, so the time cannot matter */
  clock: LocalMinute | undefined;
  /** for each policy given, the rules that apply here, in policy order */
  rules: Rule[][];
}

/**
 * Values for "matches none of the patterns": a readable one first, and one no pattern can match
 * unless it is all stars (`~` is not a pattern character) for when a pattern matches the first.
 */
const UNLISTED = ['other', 'unlisted~'];

/**
 * Every distinct way the policies' rules can apply together, each with one example record: the
 * readers of a policy (report, diff, check) ask the evaluator's own match and outcome functions
 * about these examples instead of reasoning about rules on their own.
 *
 * Record types, device kinds and times of the week are enumerated exactly (a time window only
 * changes at its edges). Device ids and zones are glob patterns; examples come from the patterns'
 * own text (each `*` filled with nothing, `1`, another pattern's literal parts or another pattern),
 * which finds every overlap of the prefix, suffix and exact patterns policies use. The property
 * test in semantics.test.ts checks random records against what this finds.
 */
export function situations(policies: readonly Policy[]): Situation[] {
  const rules = policies.flatMap((p) => p.rules);
  const types = [...new Set(rules.flatMap((r) => r.match.recordTypes))];
  // Dimension by dimension, keeping one example per distinct set of rules still in play (a mask),
  // and dropping examples no rule applies to: the sets that overlap stay few however many rules.
  let partial: Partial[] = types.flatMap((recordType) =>
    kindsFor(recordType).map((deviceKind) => ({
      example: { recordType, deviceKind, deviceId: UNLISTED[0]!, zone: undefined, clock: undefined },
      mask: maskOf(
        rules,
        (r) =>
          r.match.recordTypes.includes(recordType) &&
          (!r.match.deviceKinds || r.match.deviceKinds.includes(deviceKind)),
      ),
    })),
  );
  partial = narrow(
    partial,
    rules,
    globExamples(rules.flatMap((r) => r.match.devices ?? [])),
    deviceMatches,
    (e, deviceId) => ({ ...e, deviceId }),
  );
  partial = narrow(
    partial,
    rules,
    [undefined, ...globExamples(rules.flatMap((r) => r.match.zones ?? []))],
    zoneMatches,
    (e, zone) => ({ ...e, zone }),
  );
  if (rules.some((r) => r.match.times))
    partial = narrow(partial, rules, weekExamples(rules), timeMatches, (e, clock) => ({ ...e, clock }));
  return partial.map(({ example }) => {
    const candidate: Candidate = { ...example, fields: {} };
    const at = () => example.clock ?? { day: 'mon' as const, minutes: 0 };
    // the evaluator's own match decides which rules apply to the example
    return { ...example, rules: policies.map((p) => p.rules.filter((r) => ruleMismatch(r, candidate, at) === null)) };
  });
}

type Example = Omit<Situation, 'rules'>;
interface Partial {
  example: Example;
  /** the rules of all policies that still apply, as bits */
  mask: bigint;
}

/** Combines every partial example with every value of the next dimension, one example per distinct outcome. */
function narrow<T>(
  partial: readonly Partial[],
  rules: readonly Rule[],
  values: readonly T[],
  meets: (m: RuleMatch, v: T) => boolean,
  set: (e: Example, v: T) => Example,
): Partial[] {
  const signatures = new Map<string, { value: T; mask: bigint }>();
  for (const value of values) {
    const mask = maskOf(rules, (r) => meets(r.match, value));
    // a zone's presence matters by itself: the zone field exists only where the device has one
    const key = `${value === undefined}${mask.toString(36)}`;
    if (!signatures.has(key)) signatures.set(key, { value, mask });
  }
  const out = new Map<string, Partial>();
  for (const p of partial)
    for (const { value, mask: m } of signatures.values()) {
      const mask = p.mask & m;
      if (mask === 0n) continue;
      const example = set(p.example, value);
      const key = `${example.recordType}|${example.zone === undefined}|${mask.toString(36)}`;
      if (!out.has(key)) out.set(key, { example, mask });
    }
  return [...out.values()];
}

/** Bit i set when rule i passes: a set of rules as one number, so combining two is one AND. */
function maskOf(rules: readonly Rule[], passes: (r: Rule) => boolean): bigint {
  let mask = 0n;
  rules.forEach((r, i) => {
    if (passes(r)) mask |= 1n << BigInt(i);
  });
  return mask;
}

/** Every kind, the kind that sends this record type first, so examples read as real records. */
function kindsFor(recordType: string): DeviceKind[] {
  const sends = (k: DeviceKind) => (DEVICE_KINDS[k].recordTypes as readonly string[]).includes(recordType);
  return [...DeviceKind.options].sort((a, b) => Number(sends(b)) - Number(sends(a)));
}

function globExamples(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)];
  const fill = (p: string, with_: string) => p.split('*').join(with_);
  const pieces = [...new Set(unique.flatMap((p) => p.split('*')).filter(Boolean))];
  const out = unique.flatMap((p) => [fill(p, '1'), fill(p, '')]);
  // another pattern's literal part in a star finds where two patterns overlap (door-* and *-1: door-1)
  // and two of them, where the patterns are few, for three patterns at once (a*, *b, *c*: acb)
  const fills = unique.length > 16 ? pieces : [...pieces, ...pieces.flatMap((a) => pieces.map((b) => a + b))];
  for (const p of unique) if (p.includes('*')) for (const piece of fills) out.push(fill(p, piece));
  return [...new Set([...UNLISTED, ...out])];
}

/** The start of every stretch of the week in which no time window opens or closes. */
function weekExamples(rules: readonly Rule[]): LocalMinute[] {
  const edges = new Set<number>([0]);
  for (const r of rules)
    for (const w of r.match.times ?? []) {
      edges.add(clockMinutes(w.from) % 1440);
      edges.add(clockMinutes(w.to) % 1440);
    }
  const sorted = [...edges].sort((a, b) => a - b);
  return DAYS.flatMap((day) => sorted.map((minutes) => ({ day, minutes })));
}
