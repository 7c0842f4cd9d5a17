import type { Count, ScenarioExpectation } from './schema.ts';

/** An approved record as the agency broker received it. */
export interface UpstreamRecord {
  deviceId: string;
  type: string;
  id: string;
  fields: Record<string, unknown>;
}

export interface RunFacts {
  records: UpstreamRecord[];
  refused: Record<string, number>;
  forwarded: number;
  outboxSize: number;
}

export interface ExpectationResult {
  ok: boolean;
  what: string;
  found: string;
}

function countOk(n: number, c: Count): boolean {
  return typeof c === 'number' ? n === c : (c.min === undefined || n >= c.min) && (c.max === undefined || n <= c.max);
}

function describeCount(c: Count): string {
  if (typeof c === 'number') return `exactly ${c}`;
  if (c.min !== undefined && c.max !== undefined) return `${c.min} to ${c.max}`;
  return c.min !== undefined ? `at least ${c.min}` : `at most ${c.max}`;
}

function fieldMatches(v: unknown, cond: unknown): boolean {
  if (cond && typeof cond === 'object') {
    const { min, max } = cond as { min?: number; max?: number };
    return typeof v === 'number' && (min === undefined || v >= min) && (max === undefined || v <= max);
  }
  return v === cond;
}

/** Checks one expectation against what happened; the result says what was found either way. */
export function check(e: ScenarioExpectation, facts: RunFacts): ExpectationResult {
  if ('record' in e) {
    const of = facts.records.filter((r) => r.deviceId === e.device && r.type === e.record);
    const matching = of.filter(
      (r) =>
        Object.entries(e.where ?? {}).every(([k, c]) => fieldMatches(r.fields[k], c)) &&
        (e.absent ?? []).every((k) => !(k in r.fields)),
    );
    const conditions = [
      ...Object.entries(e.where ?? {}).map(([k, c]) => `${k} ${JSON.stringify(c)}`),
      ...(e.absent ?? []).map((k) => `no ${k}`),
    ];
    return {
      ok: countOk(matching.length, e.count),
      what: `${describeCount(e.count)} ${e.record} record(s) from ${e.device}${conditions.length ? ` with ${conditions.join(', ')}` : ''}`,
      found: `${matching.length} matching of ${of.length}`,
    };
  }
  if ('refused' in e) {
    const n = facts.refused[e.refused] ?? 0;
    return { ok: countOk(n, e.count), what: `${describeCount(e.count)} refusal(s) ${e.refused}`, found: String(n) };
  }
  const delivered = new Set(facts.records.map((r) => r.id)).size;
  return {
    ok: facts.outboxSize === 0 && delivered >= facts.forwarded,
    what: 'every forwarded record delivered upstream',
    found: `${delivered} delivered of ${facts.forwarded} forwarded, ${facts.outboxSize} in the outbox`,
  };
}
