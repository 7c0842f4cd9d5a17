import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluate, parsePolicy, type LoadedPolicy } from './index.ts';

function loadDefault(): LoadedPolicy {
  const r = parsePolicy(readFileSync(new URL('./default.yaml', import.meta.url), 'utf8'), 'default.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

test('default policy forwards a sensor event as its type and the minute it happened', () => {
  const { policy } = loadDefault();
  const d = evaluate(policy, {
    deviceId: 'door-1',
    deviceKind: 'sensor',
    recordType: 'door',
    fields: { type: 'door', at: '2026-11-25T10:42:37.123Z', open: true },
  });
  assert.deepEqual(d, { action: 'forward', rules: ['sensor-events'], fields: { type: 'door', at: '2026-11-25T10:42:00.000Z' } });
});

test('default policy forwards camera counts without any other field', () => {
  const { policy } = loadDefault();
  const d = evaluate(policy, {
    deviceId: 'cam-1',
    deviceKind: 'camera',
    recordType: 'counts',
    fields: { windowStart: 'a', windowEnd: 'b', person: 2, vehicle: 0, face: 1, boxes: [[0, 0, 1, 1]] },
  });
  assert.equal(d.action, 'forward');
  assert.deepEqual(Object.keys(d.action === 'forward' ? d.fields : {}).sort(), ['person', 'vehicle', 'windowEnd', 'windowStart']);
});

test('default policy withholds per-frame observations: no rule allows them', () => {
  const { policy } = loadDefault();
  const d = evaluate(policy, { deviceId: 'cam-1', deviceKind: 'camera', recordType: 'observation', fields: { person: 1 } });
  assert.equal(d.action, 'withhold');
  assert.equal(d.action === 'withhold' && d.reason, 'NO_RULE');
});

test('a sensor event from a camera is withheld: the rule is for sensors only', () => {
  const { policy } = loadDefault();
  const d = evaluate(policy, { deviceId: 'cam-1', deviceKind: 'camera', recordType: 'door', fields: { type: 'door', at: 'x' } });
  assert.equal(d.action, 'withhold');
});

test('with no policy nothing is forwarded', () => {
  const d = evaluate(null, { deviceId: 'door-1', deviceKind: 'sensor', recordType: 'door', fields: { type: 'door' } });
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
  const d = evaluate(r.value.policy, {
    deviceId: 'door-7', deviceKind: 'sensor', recordType: 'door',
    fields: { type: 'door', at: '2026-11-25T10:42:37Z', open: true },
  });
  assert.deepEqual(d, { action: 'forward', rules: ['wide', 'narrow'], fields: { type: 'door', at: '2026-11-25T10:00:00.000Z' } });
});

test('a timestamp field that is not a date is dropped, not passed through raw', () => {
  const r = parsePolicy(`id: p\nversion: 1\ntitle: t\nrules:\n  - id: r\n    match: { recordTypes: [door] }\n    allow: [at]\n    transforms: { at: { roundTo: minute } }\n`, 'p.yaml');
  assert.ok(r.ok);
  const d = evaluate(r.value.policy, { deviceId: 'd', deviceKind: 'sensor', recordType: 'door', fields: { at: 'Alice at home' } });
  assert.equal(d.action, 'withhold');
});
