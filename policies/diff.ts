import { isDeepStrictEqual } from 'node:util';
import { RECORD_FIELDS } from '../devices/index.ts';
import type { Candidate, EvalEnv } from './candidate.ts';
import type { Decision } from './decision.ts';
import { evaluate } from './evaluate.ts';
import { describeTransform } from './explain.ts';
import { RateLimits } from './rate-limits.ts';
import { fieldVerdict } from './outcome.ts';
import { present } from './reach.ts';
import type { Policy, RateLimit, Rule, Transform } from './schema.ts';
import { situations, type Situation } from './situations.ts';
import { strictestTransform } from './transforms.ts';

export interface FieldChange {
  recordType: string;
  field: string;
  change: 'added' | 'removed' | 'changed';
  /** each distinct before/after pair, with one example record where it happens */
  where: Array<{ before: string; after: string; example: Situation; widens: boolean }>;
}

export interface PolicyDiff {
  fields: FieldChange[];
  settings: Array<{ setting: string; before: string; after: string }>;
  /** true when the new policy may let out something the old one could not, or less strictly */
  widens: boolean;
}

/** How a field fares under a set of applying rules, compared and printed by the diff. */
interface FieldFate {
  leaves: boolean;
  transform: Transform | undefined;
  limits: RateLimit[];
  rules: string[];
}

/**
 * What changes between two policies, field by field: both are asked, through the evaluator's own
 * match and outcome functions, about one example of every way their rules can apply together
 * (situations.ts), so a line appears only where some record would actually fare differently.
 * Both policies are read at the same local time of the week; a change of timezone is a setting.
 */
export function diffPolicies(before: Policy, after: Policy): PolicyDiff {
  const byField = new Map<string, FieldChange & { left: [boolean, boolean] }>();
  for (const s of situations([before, after])) {
    for (const field of Object.keys(RECORD_FIELDS[s.recordType as keyof typeof RECORD_FIELDS] ?? {})) {
      if (!present(field, s)) continue;
      const a = fateOf(s.rules[0]!, field);
      const b = fateOf(s.rules[1]!, field);
      const key = `${s.recordType}.${field}`;
      let entry = byField.get(key);
      if (!entry) {
        entry = { recordType: s.recordType, field, change: 'changed', where: [], left: [false, false] };
        byField.set(key, entry);
      }
      entry.left = [entry.left[0] || a.leaves, entry.left[1] || b.leaves];
      if (effectOf(a) === effectOf(b)) continue; // which rules decide it is no change to anyone upstream
      const [wa, wb] = [formatFate(a), formatFate(b)];
      if (entry.where.some((w) => w.before === wa && w.after === wb)) continue;
      entry.where.push({ before: wa, after: wb, example: s, widens: widens(a, b) });
    }
  }
  const fields: FieldChange[] = [...byField.values()]
    .filter((f) => f.where.length > 0)
    .sort((x, y) => `${x.recordType}.${x.field}`.localeCompare(`${y.recordType}.${y.field}`))
    .map(({ left, ...f }) => ({ ...f, change: !left[0] ? 'added' : !left[1] ? 'removed' : 'changed' }));
  const settings = [
    ['vision.snapshots.leave', String(before.vision.snapshots.leave), String(after.vision.snapshots.leave)],
    ['vision.localPreview', String(before.vision.localPreview), String(after.vision.localPreview)],
    ...(['face', 'person', 'text'] as const).map((cls) => [
      `vision.redact.${cls}`,
      JSON.stringify(before.vision.redact[cls]),
      JSON.stringify(after.vision.redact[cls]),
    ]),
    ['counts', JSON.stringify(before.counts), JSON.stringify(after.counts)],
    ['effective', JSON.stringify(before.effective ?? {}), JSON.stringify(after.effective ?? {})],
    ['timezone', before.timezone, after.timezone],
  ]
    .filter(([, x, y]) => x !== y)
    .map(([setting, x, y]) => ({ setting: setting!, before: x!, after: y! }));
  const wider =
    fields.some((f) => f.where.some((w) => w.widens)) ||
    (after.vision.snapshots.leave && !before.vision.snapshots.leave) ||
    (after.vision.localPreview && !before.vision.localPreview);
  return { fields, settings, widens: wider };
}

function fateOf(rules: readonly Rule[], field: string): FieldFate {
  const v = fieldVerdict(rules, field);
  return {
    leaves: v.leaves,
    transform: v.leaves ? v.transform : undefined,
    limits: rules.flatMap((r) => (r.rateLimit ? [r.rateLimit] : [])),
    rules: rules.map((r) => r.id),
  };
}

/** The new fate lets more out: the field newly leaves, or leaves less transformed or less limited. */
function widens(a: FieldFate, b: FieldFate): boolean {
  if (!b.leaves) return false;
  if (!a.leaves) return true;
  const asStrict = isDeepStrictEqual(strictestTransform(b.transform, a.transform), b.transform);
  const limited = a.limits.every((la) => b.limits.some((lb) => lb.max <= la.max && lb.perSeconds >= la.perSeconds));
  return !asStrict || !limited;
}

function effectOf(f: FieldFate): string {
  if (!f.leaves) return 'does not leave';
  const limits = f.limits.map((l) => `; at most ${l.max} per ${l.perSeconds} s per device`).join('');
  return `${f.transform ? describeTransform(f.transform) : 'as is'}${limits}`;
}

function formatFate(f: FieldFate): string {
  return `${effectOf(f)}${f.rules.length ? ` (rules: ${f.rules.join(', ')})` : ' (no rule applies)'}`;
}

function formatExample(s: Situation): string {
  const zone = s.zone === undefined ? '' : ` in zone ${s.zone}`;
  const clock = s.clock
    ? ` on ${s.clock.day} at ${String(Math.floor(s.clock.minutes / 60)).padStart(2, '0')}:${String(s.clock.minutes % 60).padStart(2, '0')}`
    : '';
  return `${s.recordType} from ${s.deviceKind} ${s.deviceId}${zone}${clock}`;
}

export interface TrafficChange {
  input: Candidate;
  before: Decision;
  after: Decision;
}

/** Both policies on the same recorded inputs, in order, each with its own rate-limit state. */
export function diffOnTraffic(
  before: Policy,
  after: Policy,
  inputs: ReadonlyArray<{ candidate: Candidate; now: number }>,
  salt: string,
): { total: number; changed: TrafficChange[] } {
  const envA: EvalEnv = { now: 0, salt, limits: new RateLimits() };
  const envB: EvalEnv = { now: 0, salt, limits: new RateLimits() };
  const changed: TrafficChange[] = [];
  for (const { candidate, now } of inputs) {
    const da = evaluate(before, candidate, { ...envA, now });
    const db = evaluate(after, candidate, { ...envB, now });
    if (!sameEffect(da, db)) changed.push({ input: candidate, before: da, after: db });
  }
  return { total: inputs.length, changed };
}

/** Decided the same as far as anyone upstream can tell: the same fields sent, or withheld for the same reason. */
function sameEffect(a: Decision, b: Decision): boolean {
  if (a.action === 'forward' && b.action === 'forward') return isDeepStrictEqual(a.fields, b.fields);
  return a.action === 'withhold' && b.action === 'withhold' && a.reason === b.reason;
}

export function formatDiff(d: PolicyDiff): string {
  const sign = { added: '+', removed: '-', changed: '~' } as const;
  const words = { added: 'may now leave', removed: 'no longer leaves', changed: 'leaves differently' } as const;
  const lines: string[] = [];
  for (const f of d.fields) {
    lines.push(`${sign[f.change]} ${f.recordType}.${f.field}: ${words[f.change]}`);
    for (const w of f.where) {
      lines.push(`    e.g. ${formatExample(w.example)}:`);
      lines.push(`      before: ${w.before}`);
      lines.push(`      after:  ${w.after}`);
    }
  }
  for (const s of d.settings) lines.push(`~ ${s.setting}: ${s.before} -> ${s.after}`);
  if (lines.length === 0) lines.push('no difference in what may leave');
  return lines.join('\n');
}
