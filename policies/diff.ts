import { isDeepStrictEqual } from 'node:util';
import { RECORD_FIELDS } from '../devices/index.ts';
import type { Candidate, EvalEnv } from './candidate.ts';
import { describeDecision } from './cases.ts';
import type { Decision } from './decision.ts';
import { evaluate } from './evaluate.ts';
import { describeTransform } from './explain.ts';
import { RateLimits } from './rate-limits.ts';
import type { Policy, Rule } from './schema.ts';

/** One way a field can leave: the rule that allows it, how it is transformed, and where and when. */
interface Route {
  rule: string;
  how: string;
  scope: string;
}

export interface FieldChange {
  recordType: string;
  field: string;
  change: 'added' | 'removed' | 'changed';
  before: string[];
  after: string[];
}

export interface PolicyDiff {
  fields: FieldChange[];
  settings: Array<{ setting: string; before: string; after: string }>;
  /** true when the new policy may let out something the old one could not */
  widens: boolean;
}

/**
 * What each policy may let out, computed from the rules: a field of a record type may leave if a
 * rule covering that type allows it. This over-approximates (an overlapping stricter rule can still
 * hold a field back at run time), which is the safe direction for a review.
 */
export function diffPolicies(before: Policy, after: Policy): PolicyDiff {
  const a = routes(before);
  const b = routes(after);
  const fields: FieldChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [recordType, field] = key.split('.') as [string, string];
    const ra = (a.get(key) ?? []).map(formatRoute);
    const rb = (b.get(key) ?? []).map(formatRoute);
    if (isDeepStrictEqual(ra, rb)) continue;
    const change = ra.length === 0 ? 'added' : rb.length === 0 ? 'removed' : 'changed';
    fields.push({ recordType, field, change, before: ra, after: rb });
  }
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
  const widens =
    fields.some((f) => f.change !== 'removed') ||
    (after.vision.snapshots.leave && !before.vision.snapshots.leave) ||
    (after.vision.localPreview && !before.vision.localPreview);
  return { fields, settings, widens };
}

function routes(p: Policy): Map<string, Route[]> {
  const out = new Map<string, Route[]>();
  for (const r of p.rules) {
    for (const type of r.match.recordTypes) {
      const known = RECORD_FIELDS[type as keyof typeof RECORD_FIELDS] ?? {};
      for (const field of r.allow) {
        if (!Object.hasOwn(known, field)) continue;
        const t = r.transforms?.[field];
        const key = `${type}.${field}`;
        out.set(key, [
          ...(out.get(key) ?? []),
          { rule: r.id, how: t ? describeTransform(t) : 'as is', scope: scopeOf(r) },
        ]);
      }
    }
  }
  return out;
}

function scopeOf(r: Rule): string {
  const m = r.match;
  const parts = [
    m.deviceKinds && `${m.deviceKinds.join('/')} devices`,
    m.devices && `devices ${m.devices.join(', ')}`,
    m.zones && `zones ${m.zones.join(', ')}`,
    m.times && `times ${m.times.map((w) => `${w.days ? `${w.days.join(',')} ` : ''}${w.from}-${w.to}`).join('; ')}`,
    r.rateLimit && `at most ${r.rateLimit.max} per ${r.rateLimit.perSeconds} s per device`,
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'everywhere, always';
}

function formatRoute(r: Route): string {
  return `${r.how} (rule ${r.rule}: ${r.scope})`;
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
    if (describeDecision(da) !== describeDecision(db) || !isDeepStrictEqual(da.rules, db.rules))
      changed.push({ input: candidate, before: da, after: db });
  }
  return { total: inputs.length, changed };
}

export function formatDiff(d: PolicyDiff): string {
  const sign = { added: '+', removed: '-', changed: '~' } as const;
  const lines: string[] = [];
  for (const f of d.fields) {
    lines.push(
      `${sign[f.change]} ${f.recordType}.${f.field}: ${f.change === 'added' ? 'may now leave' : f.change === 'removed' ? 'no longer leaves' : 'leaves differently'}`,
    );
    for (const r of f.before) lines.push(`    before: ${r}`);
    for (const r of f.after) lines.push(`    after:  ${r}`);
  }
  for (const s of d.settings) lines.push(`~ ${s.setting}: ${s.before} -> ${s.after}`);
  if (lines.length === 0) lines.push('no difference in what may leave');
  return lines.join('\n');
}
