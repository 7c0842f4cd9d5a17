import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluate, parsePolicy, type LoadedPolicy, type Policy } from './index.ts';

const ENV = { now: Date.parse('2026-11-25T10:42:37Z'), salt: 'test-salt' };

function loadDefault(): LoadedPolicy {
  const r = parsePolicy(readFileSync(new URL('./default.yaml', import.meta.url), 'utf8'), 'default.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

test('default policy forwards a sensor event as its type and the minute it happened', () => {
  const { policy } = loadDefault();
  const d = evaluate(
    policy,
    {
      deviceId: 'door-1',
      deviceKind: 'sensor',
      recordType: 'door',
      fields: { type: 'door', at: '2026-11-25T10:42:37.123Z', open: true },
    },
    ENV,
  );
  assert.deepEqual(d, {
    action: 'forward',
    rules: ['sensor-events'],
    fields: { type: 'door', at: '2026-11-25T10:42:00.000Z' },
  });
});

test('default policy forwards camera counts without any other field', () => {
  const { policy } = loadDefault();
  const d = evaluate(
    policy,
    {
      deviceId: 'cam-1',
      deviceKind: 'camera',
      recordType: 'counts',
      fields: { windowStart: 'a', windowEnd: 'b', person: 2, vehicle: 0, face: 1, boxes: [[0, 0, 1, 1]] },
    },
    ENV,
  );
  assert.equal(d.action, 'forward');
  assert.deepEqual(Object.keys(d.action === 'forward' ? d.fields : {}).sort(), [
    'person',
    'vehicle',
    'windowEnd',
    'windowStart',
  ]);
});

test('default policy withholds per-frame observations: no rule allows them', () => {
  const { policy } = loadDefault();
  const d = evaluate(
    policy,
    { deviceId: 'cam-1', deviceKind: 'camera', recordType: 'observation', fields: { person: 1 } },
    ENV,
  );
  assert.equal(d.action, 'withhold');
  assert.equal(d.action === 'withhold' && d.reason, 'NO_RULE');
});

test('a sensor event from a camera is withheld: the rule is for sensors only', () => {
  const { policy } = loadDefault();
  const d = evaluate(
    policy,
    { deviceId: 'cam-1', deviceKind: 'camera', recordType: 'door', fields: { type: 'door', at: 'x' } },
    ENV,
  );
  assert.equal(d.action, 'withhold');
});

test('with no policy nothing is forwarded', () => {
  const d = evaluate(
    null,
    { deviceId: 'door-1', deviceKind: 'sensor', recordType: 'door', fields: { type: 'door' } },
    ENV,
  );
  assert.deepEqual(d.action === 'withhold' && d.reason, 'NO_POLICY');
});

test('where rules overlap only the fields both allow leave, with the coarser rounding', () => {
  const text = `
id: overlap
version: 2
title: t
rules:
  - id: wide
    match: { recordTypes: [door] }
    allow: [type, at, open]
    transforms: { at: { roundTo: minute } }
  - id: narrow
    match: { recordTypes: [door], devices: ["door-*"] }
    allow: [type, at]
    transforms: { at: { roundTo: hour } }
`;
  const r = parsePolicy(text, 'p.yaml');
  assert.ok(r.ok);
  const d = evaluate(
    r.value.policy,
    {
      deviceId: 'door-7',
      deviceKind: 'sensor',
      recordType: 'door',
      fields: { type: 'door', at: '2026-11-25T10:42:37Z', open: true },
    },
    ENV,
  );
  assert.deepEqual(d, {
    action: 'forward',
    rules: ['wide', 'narrow'],
    fields: { type: 'door', at: '2026-11-25T10:00:00.000Z' },
  });
});

test('a timestamp field that is not a date is dropped, not passed through raw', () => {
  const r = parsePolicy(
    `id: p\nversion: 1\ntitle: t\nrules:\n  - id: r\n    match: { recordTypes: [door] }\n    allow: [at]\n    transforms: { at: { roundTo: minute } }\n`,
    'p.yaml',
  );
  assert.ok(r.ok);
  const d = evaluate(
    r.value.policy,
    { deviceId: 'd', deviceKind: 'sensor', recordType: 'door', fields: { at: 'Alice at home' } },
    ENV,
  );
  assert.equal(d.action, 'withhold');
});

function policyOf(yaml: string): Policy {
  const r = parsePolicy(`id: p\nversion: 1\ntitle: t\n${yaml}`, 'p.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.message}`).join('\n'));
  return r.value.policy;
}

const counts = (fields: Record<string, unknown>, zone?: string) => ({
  deviceId: 'cam-1',
  deviceKind: 'camera' as const,
  zone,
  recordType: 'counts',
  fields: { windowStart: '2026-11-25T10:42:30Z', ...fields },
});

test('counts below the suppression minimum leave as "<N", so a lone person is not singled out', () => {
  const p = policyOf(`rules:
  - id: r
    match: { recordTypes: [counts] }
    allow: [person, vehicle]
    transforms: { person: { suppressBelow: 5 }, vehicle: { suppressBelow: 5 } }
`);
  const d = evaluate(p, counts({ person: 1, vehicle: 7 }), ENV);
  assert.deepEqual(d.action === 'forward' && d.fields, { person: '<5', vehicle: 7 });
  const zero = evaluate(p, counts({ person: 0, vehicle: 0 }), ENV);
  assert.deepEqual(zero.action === 'forward' && zero.fields, { person: '<5', vehicle: '<5' });
});

test('bucketed counts leave as ranges, and overlapping rules keep only the edges both share', () => {
  const p = policyOf(`rules:
  - id: fine
    match: { recordTypes: [counts] }
    allow: [person]
    transforms: { person: { bucket: [0, 1, 5, 10, 50] } }
  - id: coarse
    match: { recordTypes: [counts], zones: ["market-*"] }
    allow: [person]
    transforms: { person: { bucket: [0, 10, 100] } }
`);
  const band = (n: number, zone?: string) => {
    const d = evaluate(p, counts({ person: n }, zone), ENV);
    return d.action === 'forward' ? d.fields.person : d.reason;
  };
  assert.deepEqual(
    [0, 1, 3, 9, 10, 49, 50, 400].map((n) => band(n)),
    ['0', '1-4', '1-4', '5-9', '10-49', '10-49', '50+', '50+'],
  );
  // both rules apply in the market: only edges 0 and 10 are common
  assert.deepEqual(
    [3, 10, 400].map((n) => band(n, 'market-square')),
    ['0-9', '10+', '10+'],
  );
});

test('locations are snapped to a grid: nearby points become the same point', () => {
  const p = policyOf(`rules:
  - id: r
    match: { recordTypes: [incident] }
    allow: [at, location]
    transforms: { location: { coarsenMeters: 500 }, at: { roundTo: hour } }
`);
  const incident = (lat: number, lon: number) =>
    evaluate(
      p,
      {
        deviceId: 'bwc-1',
        deviceKind: 'sensor',
        recordType: 'incident',
        fields: {
          type: 'incident',
          at: '2026-11-25T10:42:37Z',
          category: 'medical',
          location: { lat, lon, accuracyM: 5 },
        },
      },
      ENV,
    );
  const a = incident(51.50721, -0.12761);
  const b = incident(51.50741, -0.12701); // ~40 m away
  assert.equal(a.action, 'forward');
  assert.deepEqual(a.action === 'forward' && a.fields, b.action === 'forward' && b.fields);
  const loc = (a as unknown as { fields: { location: { lat: number; lon: number } } }).fields.location;
  assert.deepEqual(Object.keys(loc), ['lat', 'lon'], 'accuracy is not passed on');
  assert.ok(Math.abs(loc.lat - 51.50721) < 0.0045 && Math.abs(loc.lon + 0.12761) < 0.0072, JSON.stringify(loc));
  assert.equal((a as unknown as { fields: { at: string } }).fields.at, '2026-11-25T10:00:00.000Z');
});

test('hashed identifiers are stable within a deployment and differ across deployments', () => {
  const p = policyOf(`rules:
  - id: r
    match: { recordTypes: [incident] }
    allow: [officer, category]
    transforms: { officer: { hash: true } }
`);
  const ev = {
    deviceId: 'bwc-1',
    deviceKind: 'sensor' as const,
    recordType: 'incident',
    fields: { type: 'incident', category: 'theft', officer: 'PC1234' },
  };
  const officer = (salt: string) => {
    const d = evaluate(p, ev, { ...ENV, salt });
    return d.action === 'forward' ? d.fields.officer : undefined;
  };
  assert.match(String(officer('a')), /^h:[0-9a-f]{20}$/);
  assert.equal(officer('a'), officer('a'));
  assert.notEqual(officer('a'), officer('b'));
  assert.ok(!String(officer('a')).includes('1234'));
});

test('rules match on zones; a device without a zone never matches a zoned rule', () => {
  const p = policyOf(`rules:
  - id: r
    match: { recordTypes: [counts], zones: ["market-*", depot] }
    allow: [person]
`);
  assert.equal(evaluate(p, counts({ person: 1 }, 'market-square'), ENV).action, 'forward');
  assert.equal(evaluate(p, counts({ person: 1 }, 'depot'), ENV).action, 'forward');
  assert.equal(evaluate(p, counts({ person: 1 }, 'school'), ENV).action, 'withhold');
  assert.equal(evaluate(p, counts({ person: 1 }), ENV).action, 'withhold');
});

test('time windows follow the policy time zone, including summer time and windows past midnight', () => {
  const p = policyOf(`timezone: Europe/London
rules:
  - id: day
    match: { recordTypes: [door], times: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "19:00" }] }
    allow: [type]
  - id: night
    match: { recordTypes: [motion], times: [{ days: [fri], from: "22:00", to: "06:00" }] }
    allow: [type]
`);
  const at = (iso: string, type: 'door' | 'motion') =>
    evaluate(
      p,
      { deviceId: 'd', deviceKind: 'sensor', recordType: type, fields: { type } },
      { ...ENV, now: Date.parse(iso) },
    ).action;
  assert.equal(at('2026-07-01T06:30:00Z', 'door'), 'forward', 'Wed 07:30 BST');
  assert.equal(at('2026-07-01T18:30:00Z', 'door'), 'withhold', 'Wed 19:30 BST');
  assert.equal(at('2026-12-02T06:30:00Z', 'door'), 'withhold', 'Wed 06:30 GMT');
  assert.equal(at('2026-07-04T10:00:00Z', 'door'), 'withhold', 'Saturday');
  assert.equal(at('2026-11-27T23:00:00Z', 'motion'), 'forward', 'Fri 23:00');
  assert.equal(at('2026-11-28T05:00:00Z', 'motion'), 'forward', 'Sat 05:00 is still Friday night');
  assert.equal(at('2026-11-28T23:00:00Z', 'motion'), 'withhold', 'Sat 23:00');
});

test('outside its effective dates a policy forwards nothing; a date-only until includes that day', () => {
  const p = policyOf(`effective: { from: 2026-12-01, until: 2026-12-31 }
rules:
  - id: r
    match: { recordTypes: [door] }
    allow: [type]
`);
  const at = (iso: string) => {
    const d = evaluate(
      p,
      { deviceId: 'd', deviceKind: 'sensor', recordType: 'door', fields: { type: 'door' } },
      { ...ENV, now: Date.parse(iso) },
    );
    return d.action === 'forward' ? 'forward' : d.reason;
  };
  assert.equal(at('2026-11-30T23:59:59Z'), 'POLICY_NOT_EFFECTIVE');
  assert.equal(at('2026-12-01T00:00:00Z'), 'forward');
  assert.equal(at('2026-12-31T23:59:59Z'), 'forward');
  assert.equal(at('2027-01-01T00:00:00Z'), 'POLICY_NOT_EFFECTIVE');
});

test('a rate limit withholds the excess per device and refills over time', async () => {
  const { RateLimits } = await import('./index.ts');
  const p = policyOf(`rules:
  - id: r
    match: { recordTypes: [door] }
    allow: [type]
    rateLimit: { max: 2, perSeconds: 60 }
`);
  const limits = new RateLimits();
  const send = (device: string, now: number) => {
    const d = evaluate(
      p,
      { deviceId: device, deviceKind: 'sensor', recordType: 'door', fields: { type: 'door' } },
      { now, salt: 's', limits },
    );
    return d.action === 'forward' ? 'forward' : d.reason;
  };
  const t0 = ENV.now;
  assert.deepEqual(
    [send('a', t0), send('a', t0), send('a', t0), send('b', t0)],
    ['forward', 'forward', 'RATE_LIMITED', 'forward'],
  );
  assert.equal(send('a', t0 + 29_000), 'RATE_LIMITED');
  assert.equal(send('a', t0 + 31_000), 'forward', 'one token back after 30 s');
});

test('a misspelled field and a transform that does not fit its field are errors with hints', () => {
  const r = parsePolicy(
    `id: p
version: 1
title: t
rules:
  - id: r
    match: { recordTypes: [counts] }
    allow: [persn, windowStart]
    transforms:
      windowStart: { bucket: [0, 5] }
`,
    'p.yaml',
  );
  assert.equal(r.ok, false);
  if (r.ok) return;
  const spelled = r.errors.find((e) => e.path === 'rules[0].allow[0]');
  assert.match(spelled?.message ?? '', /no field "persn": did you mean "person"\?/);
  assert.equal(spelled?.line, 7);
  const misfit = r.errors.find((e) => e.path === 'rules[0].transforms.windowStart.bucket');
  assert.match(misfit?.message ?? '', /bucket does not apply to "windowStart", which is an ISO 8601 timestamp/);
  assert.equal(misfit?.line, 9);
});

test('unknown keys anywhere get a did-you-mean from the schema itself', () => {
  const r = parsePolicy(
    `id: p
version: 1
title: t
vision:
  redact:
    face: { methd: blur }
rules: []
`,
    'p.yaml',
  );
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors[0]?.path, 'vision.redact.face.methd');
  assert.match(r.errors[0]?.hint ?? '', /did you mean "method"/);
});

test('letting snapshots out needs the deliberate vision.snapshots.leave switch', () => {
  const rule = `rules:
  - id: r
    match: { recordTypes: [snapshot] }
    allow: [at, jpeg]
`;
  assert.throws(() => policyOf(rule), /vision.snapshots.leave is false/);
  assert.doesNotThrow(() => policyOf(`vision: { snapshots: { leave: true } }\n${rule}`));
});
