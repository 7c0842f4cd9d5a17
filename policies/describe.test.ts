import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describePolicy, parsePolicy } from './index.ts';

function words(text: string): Map<string, string> {
  const r = parsePolicy(text, 'p.yaml');
  assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors));
  return new Map(describePolicy(r.value.policy).rules.map((x) => [x.id, x.says]));
}

const DOOR_STATE = readFileSync(new URL('./examples/door-state.yaml', import.meta.url), 'utf8');

test('the report says a field another rule keeps in never leaves, instead of repeating the allow list', () => {
  const says = words(DOOR_STATE.replace(/\n {4}extends: \[sensor-events\]/, ''));
  assert.equal(
    says.get('door-state'),
    'From sensors named door-*: door records may leave with only type and at (at rounded down to the minute); open never leaves, because sensor-events also applies and does not allow it.',
  );
  assert.match(says.get('sensor-events')!, /records may leave with only type and at/);
});

test('the report says where an extending rule lets more out than the broader rule', () => {
  const says = words(DOOR_STATE);
  assert.equal(
    says.get('door-state'),
    'From sensors named door-*: door records may leave with only type, at and open (at rounded down to the minute).',
  );
  assert.equal(
    says.get('sensor-events'),
    'From sensors: motion, panic, sound_level and incident records may leave with only type and at (at rounded down to the minute); door records may leave with type and at (at rounded down to the minute); where door-state also applies, open leaves too.',
  );
});

test('the report names the stricter transform an overlapping rule imposes, and where', () => {
  const says = words(readFileSync(new URL('./examples/city-cctv.yaml', import.meta.url), 'utf8'));
  assert.match(
    says.get('zone-counts')!,
    /person shown as "<3" when below 3; where night-ranges also applies, person shown as "<3" when below 3 and person given only as a range/,
  );
});
