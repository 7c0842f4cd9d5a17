import type { Policy, Rule, Transform } from './schema.ts';

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

export function describeRule(r: Rule): string {
  const m = r.match;
  const from = [
    m.deviceKinds ? `${list(m.deviceKinds.map((k) => `${k}s`))}` : 'any device',
    m.devices ? ` named ${list(m.devices)}` : '',
    m.zones ? ` in zone ${list(m.zones)}` : '',
  ].join('');
  const when = m.times
    ? `, only ${list(m.times.map((w) => `${w.days ? `${w.days.join('/')} ` : ''}${w.from}-${w.to}`))}`
    : '';
  const transforms = Object.entries(r.transforms ?? {}).map(([f, t]) => transformWords(f, t));
  const limit = r.rateLimit ? `; at most ${r.rateLimit.max} per device every ${r.rateLimit.perSeconds} s` : '';
  return `From ${from}${when}: ${list(m.recordTypes)} records may leave with only ${list(r.allow)}${transforms.length ? ` (${list(transforms)})` : ''}${limit}.`;
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
        : `${p.rules.length} rule${p.rules.length === 1 ? '' : 's'} say what may leave; everything else is withheld. Where rules overlap, only what every one of them allows leaves.`,
    rules: p.rules.map((r) => ({ id: r.id, why: r.description ?? null, says: describeRule(r) })),
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
