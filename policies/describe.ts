import { reach, type FieldReach, type RuleReach, type TypeReach } from './reach.ts';
import type { Policy, Transform } from './schema.ts';

/** A policy in plain words, for the transparency report: one sentence a rule, and the vision settings. */
export interface PolicyInWords {
  title: string;
  summary: string;
  rules: Array<{ id: string; why: string | null; says: string }>;
  vision: string[];
}

const METHOD_WORDS = { pixelate: 'pixelated', blur: 'blurred', fill: 'covered' } as const;

function list(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
}

function transformWords(field: string, t: Transform): string {
  const parts = [
    t.roundTo && `${field} rounded down to the ${t.roundTo}`,
    t.coarsenMeters && `${field} blurred to a ${t.coarsenMeters} m grid`,
    t.suppressBelow && `${field} shown as "<${t.suppressBelow}" when below ${t.suppressBelow}`,
    t.bucket && `${field} given only as a range (${t.bucket.join(', ')}…)`,
    t.hash && `${field} replaced by a keyed hash`,
  ].filter(Boolean);
  return list(parts as string[]);
}

/**
 * A rule in one sentence: what can actually leave where it applies, given the other rules (see
 * reach.ts), never merely what its allow-list says.
 */
export function describeRule(rr: RuleReach): string {
  const r = rr.rule;
  const m = r.match;
  const from = [
    m.deviceKinds ? `${list(m.deviceKinds.map((k) => `${k}s`))}` : 'any device',
    m.devices ? ` named ${list(m.devices)}` : '',
    m.zones ? ` in zone ${list(m.zones)}` : '',
  ].join('');
  const when = m.times
    ? `, only ${list(m.times.map((w) => `${w.days ? `${w.days.join('/')} ` : ''}${w.from}-${w.to}`))}`
    : '';
  const clauses = new Map<string, string[]>();
  for (const t of rr.types) {
    const clause = typeClause(t);
    clauses.set(clause, [...(clauses.get(clause) ?? []), t.recordType]);
  }
  const says = [...clauses].map(([clause, types]) => `${list(types)} records ${clause}`).join('; ');
  const limit = r.rateLimit ? `; at most ${r.rateLimit.max} per device every ${r.rateLimit.perSeconds} s` : '';
  return `From ${from}${when}: ${says}${limit}.`;
}

function typeClause(t: TypeReach): string {
  const leaving = t.allowed.filter((f) => f.ways.length > 0);
  const never = t.allowed.filter((f) => f.ways.length === 0 && f.blocked.length > 0);
  const notes = [
    ...never.map((f) => `${f.name} never leaves, because ${refusers(f.blocked, true)}`),
    ...leaving.filter((f) => f.blocked.length > 0).map((f) => `${f.name} not where ${refusers(f.blocked, false)}`),
    ...t.extra.map((e) => `where ${list(e.by)} also applies, ${e.name} leaves too`),
  ];
  const transforms = leaving.flatMap((f) => {
    // its own way first (no other rule transforming it too), then each stricter one and why
    const [own, ...stricter] = [...f.ways].sort((a, b) => a.alsoTransformedBy.length - b.alsoTransformedBy.length);
    const words = stricter.map(
      (w) => `where ${list(w.alsoTransformedBy)} also applies, ${transformWords(f.name, w.transform!)}`,
    );
    if (own?.transform) words.unshift(transformWords(f.name, own.transform));
    else if (words.length > 0) words.unshift(`${f.name} as is`);
    return words.length ? [words.join('; ')] : [];
  });
  const only = t.extra.length === 0 ? 'only ' : '';
  const main =
    leaving.length === 0
      ? 'never leave under this rule'
      : `may leave with ${only}${list(leaving.map((f) => f.name))}${transforms.length ? ` (${list(transforms)})` : ''}`;
  return [main, ...notes].join('; ');
}

function refusers(blocked: FieldReach['blocked'], refuse: boolean): string {
  const ids = [...new Set(blocked.flatMap((b) => b.refusedBy))];
  const one = ids.length === 1;
  return `${list(ids)} also appl${one ? 'ies' : 'y'}${refuse ? ` and ${one ? 'does' : 'do'} not allow it` : ''}`;
}

export function describePolicy(p: Policy): PolicyInWords {
  const v = p.vision;
  const redact = (['face', 'person', 'text'] as const).map(
    (c) =>
      `${c === 'person' ? `persons (${v.redact.person.region})` : c === 'text' ? 'text and plates' : 'faces'} ${METHOD_WORDS[v.redact[c].method]}`,
  );
  return {
    title: p.title,
    summary:
      p.rules.length === 0
        ? 'Nothing leaves this gateway.'
        : `${p.rules.length} rule${p.rules.length === 1 ? '' : 's'} say what may leave; everything else is withheld. Where rules overlap, only what every one of them allows leaves, unless a narrower rule extends a broader one; each sentence below says what actually leaves.`,
    rules: reach(p).map((rr) => ({ id: rr.rule.id, why: rr.rule.description ?? null, says: describeRule(rr) })),
    vision: [
      `On every camera frame: ${list(redact)} before anything else sees it.`,
      v.snapshots.leave
        ? `Redacted pictures may leave, at most one per camera every ${v.snapshots.everySeconds} s, where a rule allows them.`
        : 'No picture ever leaves, not even a redacted one.',
      v.localPreview
        ? "The gateway's own status page shows redacted frames to logged-in staff."
        : "The gateway's own status page shows no pictures.",
    ],
  };
}
