import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { fieldKind, RECORD_FIELDS, type FieldKind } from '../devices/index.ts';
import { withZone, type Candidate } from './candidate.ts';
import { diffPolicies } from './diff.ts';
import { evaluate } from './evaluate.ts';
import { reach } from './reach.ts';
import { DAYS, Policy } from './schema.ts';
import { situations, type Situation } from './situations.ts';
import { applyTransform } from './transforms.ts';

// A property test: random policies (overlapping matches, extends, transforms, time windows, zones)
// and random records. What the report's sentences are made of (reach) and what `policy diff`
// claims must equal what `evaluate` does, in both directions.

const SALT = 'property-salt';
const MONDAY = Date.parse('2026-01-05T00:00:00Z');
const TYPES = ['door', 'motion', 'counts'] as const;
const DEVICE_PATTERNS = ['door-*', '*-1', 'door-1', 'cam-*', '*', 'do*', '*or-*', 'cam-1', '*-2', 'd*r*'];
const ZONE_PATTERNS = ['a*', '*b', 'ab', 'z', '*'];
const CLOCKS = ['00:00', '06:00', '07:30', '18:00', '22:00', '24:00'];
const COUNTS = [0, 1, 3, 4, 6, 9, 12, 60];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function some<T>(r: () => number, xs: readonly T[], min = 1, max = 2): T[] {
  const n = min + Math.floor(r() * (max - min + 1));
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
  return out;
}

function one<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomPolicy(r: () => number, id: string): Policy | null {
  const rules = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => {
    const recordTypes = some(r, TYPES);
    const fields = [...new Set(recordTypes.flatMap((t) => Object.keys(RECORD_FIELDS[t])))];
    const allow = some(r, fields, 1, 5);
    const transforms: Record<string, unknown> = {};
    for (const f of allow) {
      const kind = recordTypes.map((t) => fieldKind(t, f)).find(Boolean);
      if (r() < 0.5) continue;
      if (kind === 'time') transforms[f] = { roundTo: one(r, ['minute', 'hour', 'day']) };
      else if (kind === 'count')
        transforms[f] = one(r, [
          { suppressBelow: 2 },
          { suppressBelow: 5 },
          { bucket: [0, 4, 8] },
          { bucket: [0, 3, 9] },
        ]);
      else if (kind === 'label' && f === 'zone') transforms[f] = { hash: true };
    }
    const from = one(r, CLOCKS.slice(0, -1));
    return {
      id: `r${i}`,
      match: {
        recordTypes,
        ...(r() < 0.3 ? { deviceKinds: [one(r, ['camera', 'sensor'])] } : {}),
        ...(r() < 0.6 ? { devices: some(r, DEVICE_PATTERNS) } : {}),
        ...(r() < 0.3 ? { zones: some(r, ZONE_PATTERNS) } : {}),
        ...(r() < 0.3
          ? {
              times: [
                {
                  ...(r() < 0.5 ? { days: some(r, DAYS, 1, 3) } : {}),
                  from,
                  to: one(
                    r,
                    CLOCKS.filter((c) => c !== from),
                  ),
                },
              ],
            }
          : {}),
      },
      ...(i > 0 && r() < 0.6 ? { extends: [`r${Math.floor(r() * i)}`] } : {}),
      allow,
      ...(Object.keys(transforms).length ? { transforms } : {}),
    };
  });
  const p = Policy.safeParse({ id, version: 1, title: 't', rules });
  return p.success ? p.data : null;
}

function valueOf(kind: FieldKind | undefined, count: number): unknown {
  switch (kind) {
    case 'time':
      return '2026-03-04T10:37:42.123Z';
    case 'count':
      return count;
    case 'boolean':
      return true;
    case 'label':
      return 'door';
    case 'number':
      return 41.5;
    default:
      return 'x';
  }
}

function record(
  recordType: string,
  device: { deviceId: string; deviceKind: 'camera' | 'sensor'; zone: string | undefined },
  count: number,
): Candidate {
  const fields = Object.fromEntries(
    Object.keys(RECORD_FIELDS[recordType as keyof typeof RECORD_FIELDS])
      .filter((f) => f !== 'zone')
      .map((f) => [f, valueOf(fieldKind(recordType, f), count)]),
  );
  return withZone({ deviceId: device.deviceId, deviceKind: device.deviceKind, recordType, fields }, device.zone);
}

function randomInput(r: () => number): { candidate: Candidate; now: number } {
  const pieces = ['door', '-', '1', 'cam', 'a', 'b', 'or', 'x', 'do'];
  const deviceId = one(r, [
    'door-1',
    'door-2',
    'cam-1',
    'cam-door-1',
    'door--1',
    'do',
    'x',
    some(r, pieces, 1, 4).join(''),
  ]);
  const zone = one(r, [undefined, 'a', 'b', 'ab', 'abb', 'z', 'q', some(r, ['a', 'b', 'z', 'q'], 1, 3).join('')]);
  const candidate = record(one(r, TYPES), { deviceId, deviceKind: one(r, ['camera', 'sensor']), zone }, one(r, COUNTS));
  return { candidate, now: MONDAY + Math.floor(r() * 7 * 1440) * 60_000 };
}

function atExample(s: Situation, count: number): { candidate: Candidate; now: number } {
  const clock = s.clock ?? { day: 'mon', minutes: 0 };
  return {
    candidate: record(s.recordType, s, count),
    now: MONDAY + (DAYS.indexOf(clock.day) * 1440 + clock.minutes) * 60_000,
  };
}

function decide(p: Policy, x: { candidate: Candidate; now: number }): Record<string, unknown> {
  const d = evaluate(p, x.candidate, { now: x.now, salt: SALT });
  return d.action === 'forward' ? d.fields : {};
}

test('what the report says can leave under each rule is exactly what evaluate lets out', () => {
  const r = rng(20261206);
  let policies = 0;
  let forwarded = 0;
  while (policies < 250) {
    const p = randomPolicy(r, 'p');
    if (!p) continue;
    policies++;
    const reached = reach(p);
    for (let i = 0; i < 150; i++) {
      const x = randomInput(r);
      const d = evaluate(p, x.candidate, { now: x.now, salt: SALT });
      if (d.action !== 'forward') continue;
      forwarded++;
      for (const [f, sent] of Object.entries(d.fields)) {
        const claimed = reached
          .filter((rr) => d.rules.includes(rr.rule.id))
          .flatMap((rr) => rr.types.filter((t) => t.recordType === x.candidate.recordType))
          .flatMap((t) => t.allowed.filter((a) => a.name === f))
          .flatMap((a) => a.ways);
        assert.ok(
          claimed.some((w) =>
            isDeepStrictEqual(
              w.transform ? applyTransform(x.candidate.fields[f], w.transform, SALT) : x.candidate.fields[f],
              sent,
            ),
          ),
          `policy ${JSON.stringify(p.rules)}: ${f} of ${JSON.stringify(x)} left as ${JSON.stringify(sent)}, not as any way the report claims (${JSON.stringify(claimed.map((w) => w.transform))})`,
        );
      }
    }
    for (const rr of reached)
      for (const t of rr.types)
        for (const a of t.allowed) {
          for (const w of a.ways) {
            const x = atExample(w.example, 3);
            const expected = w.transform
              ? applyTransform(x.candidate.fields[a.name], w.transform, SALT)
              : x.candidate.fields[a.name];
            assert.ok(
              isDeepStrictEqual(decide(p, x)[a.name], expected),
              `policy ${JSON.stringify(p.rules)}: the report says ${a.name} of ${t.recordType} leaves as ${JSON.stringify(expected)} under ${rr.rule.id} at ${JSON.stringify(w.example)}, evaluate sends ${JSON.stringify(decide(p, x))}`,
            );
          }
          for (const b of a.blocked)
            assert.ok(
              !Object.hasOwn(decide(p, atExample(b.example, 3)), a.name),
              `policy ${JSON.stringify(p.rules)}: the report says ${a.name} is kept in at ${JSON.stringify(b.example)}`,
            );
        }
  }
  assert.ok(forwarded > 5000, `the generator produces forwarded records (${forwarded})`);
});

test('policy diff lists a field exactly when some record would fare differently, and widens when more leaves', () => {
  const r = rng(7);
  let pairs = 0;
  let changes = 0;
  while (pairs < 250) {
    const a = randomPolicy(r, 'a');
    const b = r() < 0.2 ? a : randomPolicy(r, 'b');
    if (!a || !b) continue;
    pairs++;
    const d = diffPolicies(a, b);
    const listed = new Set(d.fields.map((f) => `${f.recordType}.${f.field}`));
    changes += d.fields.length;
    for (let i = 0; i < 150; i++) {
      const x = randomInput(r);
      const [fa, fb] = [decide(a, x), decide(b, x)];
      for (const f of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
        if (isDeepStrictEqual(fa[f], fb[f])) continue;
        assert.ok(
          listed.has(`${x.candidate.recordType}.${f}`),
          `${JSON.stringify(a.rules)} -> ${JSON.stringify(b.rules)}: ${f} of ${JSON.stringify(x)} goes from ${JSON.stringify(fa[f])} to ${JSON.stringify(fb[f])}, and the diff does not say so`,
        );
        if (!d.widens)
          assert.ok(
            Object.hasOwn(fa, f),
            `the diff says nothing new leaves, but ${f} of ${JSON.stringify(x)} now does`,
          );
      }
    }
    for (const f of d.fields)
      for (const w of f.where)
        assert.ok(
          COUNTS.some((n) => {
            const x = atExample(w.example, n);
            return !isDeepStrictEqual(decide(a, x)[f.field], decide(b, x)[f.field]);
          }),
          `${JSON.stringify(a.rules)} -> ${JSON.stringify(b.rules)}: the diff says ${f.recordType}.${f.field} changes at ${JSON.stringify(w.example)} (${w.before} -> ${w.after}), but evaluate decides it the same`,
        );
    if (a === b) assert.deepEqual(d.fields, [], 'a policy compared with itself has no changes');
  }
  assert.ok(changes > 200, `the generator produces changes (${changes})`);
});

test('rules whose device patterns overlap only through each other are found applying together', () => {
  const policy = Policy.parse({
    id: 'p',
    version: 1,
    title: 't',
    rules: [
      { id: 'a', match: { recordTypes: ['door'], devices: ['do*'] }, allow: ['type'] },
      { id: 'b', match: { recordTypes: ['door'], devices: ['*or-*'] }, allow: ['type'] },
      { id: 'c', match: { recordTypes: ['door'], devices: ['*-9'], zones: ['n*'] }, allow: ['type'] },
      { id: 'd', match: { recordTypes: ['door'], zones: ['*th'] }, allow: ['type'] },
    ],
  });
  const sets = situations([policy]).map((s) => s.rules[0]!.map((r) => r.id).join('+'));
  for (const together of ['a+b', 'a+b+c+d', 'c+d', 'a+c'])
    assert.ok(sets.includes(together), `${together} apply together somewhere (found: ${sets.join(', ')})`);
});
