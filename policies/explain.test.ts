import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { diffPolicies, explain, formatExplanation, parsePolicy, type Policy } from './index.ts';

const ENV = { now: Date.parse('2026-11-25T10:42:37Z'), salt: 's' };

function load(file: string): Policy {
  const r = parsePolicy(readFileSync(new URL(file, import.meta.url), 'utf8'), file);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.policy;
}

function policyOf(yaml: string): Policy {
  const r = parsePolicy(`id: p\nversion: 1\ntitle: t\n${yaml}`, 'p.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.policy;
}

test('explain names the deciding rule, why the others did not apply, and what happened to each field', () => {
  const e = explain(
    load('./default.yaml'),
    {
      deviceId: 'door-1',
      deviceKind: 'sensor',
      recordType: 'door',
      fields: { type: 'door', at: '2026-11-25T10:42:37Z', open: true },
    },
    ENV,
  );
  assert.equal(e.decision.action, 'forward');
  assert.deepEqual(
    e.rules.map((r) => [r.id, r.applies]),
    [
      ['camera-counts', false],
      ['sensor-events', true],
    ],
  );
  assert.match(e.rules[0]!.why, /covers counts, not door/);
  const open = e.fields.find((f) => f.name === 'open');
  assert.deepEqual(open, { name: 'open', outcome: 'dropped', why: 'not allowed by sensor-events' });
  const at = e.fields.find((f) => f.name === 'at');
  assert.match(at?.why ?? '', /^rounded down to the minute: "2026-11-25T10:42:00.000Z"$/);
  const text = formatExplanation(e);
  assert.match(text, /^FORWARD \(rules: sensor-events\)/);
  assert.match(text, /- open: dropped not allowed by sensor-events/);
});

test('explain of a withheld record gives the reason code', () => {
  const e = explain(
    load('./default.yaml'),
    { deviceId: 'cam-1', deviceKind: 'camera', recordType: 'observation', fields: { person: 2 } },
    ENV,
  );
  assert.equal(e.decision.action === 'withhold' && e.decision.reason, 'NO_RULE');
  assert.match(formatExplanation(e), /^WITHHOLD NO_RULE/);
  assert.ok(e.fields.every((f) => f.outcome === 'dropped'));
});

test('diff reports fields the new policy lets out, fields it no longer does, and changed transforms', () => {
  const before = policyOf(`rules:
  - id: events
    match: { recordTypes: [door, motion] }
    allow: [type, at]
    transforms: { at: { roundTo: hour } }
`);
  const after = policyOf(`rules:
  - id: events
    match: { recordTypes: [door] }
    allow: [type, at, open]
    transforms: { at: { roundTo: minute } }
`);
  const d = diffPolicies(before, after);
  const by = Object.fromEntries(d.fields.map((f) => [`${f.recordType}.${f.field}`, f.change]));
  assert.deepEqual(by, {
    'door.at': 'changed',
    'door.open': 'added',
    'motion.at': 'removed',
    'motion.type': 'removed',
  });
  assert.equal(d.widens, true);
  assert.equal(diffPolicies(after, after).fields.length, 0);
  assert.equal(diffPolicies(after, after).widens, false);
  const narrowing = diffPolicies(
    before,
    policyOf(`rules:\n  - id: events\n    match: { recordTypes: [door, motion] }\n    allow: [type]\n`),
  );
  assert.equal(narrowing.widens, false);
});
