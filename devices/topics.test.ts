import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceTopic, parseDeviceTopic, filterCouldMatchFrames, SensorEvent } from './index.ts';

test('device topics round-trip through build and parse', () => {
  assert.deepEqual(parseDeviceTopic(deviceTopic('cam-1', 'frames')), { deviceId: 'cam-1', channel: 'frames' });
});

test('malformed device topics do not parse', () => {
  for (const t of [
    'devices/cam-1',
    'devices/cam-1/frames/x',
    'devices//frames',
    'devices/cam+1/frames',
    'devices/cam-1/video',
    'other/cam-1/frames',
  ]) {
    assert.equal(parseDeviceTopic(t), null, t);
  }
});

test('every filter that could match a frames topic is recognised', () => {
  for (const f of [
    '#',
    'devices/#',
    '+/+/frames',
    'devices/+/frames',
    'devices/cam-1/+',
    'devices/cam-1/frames',
    '+/#',
    '+/cam-1/#',
  ]) {
    assert.equal(filterCouldMatchFrames(f), true, f);
  }
  for (const f of [
    'local/#',
    'devices/+/events',
    'devices/cam-1/status',
    '+/+/events',
    'devices/+/frames/x',
    'devices/+',
  ]) {
    assert.equal(filterCouldMatchFrames(f), false, f);
  }
});

test('sensor events are validated strictly', () => {
  assert.equal(SensorEvent.safeParse({ type: 'door', at: '2026-11-25T10:00:00Z', open: true }).success, true);
  assert.equal(
    SensorEvent.safeParse({ type: 'door', at: '2026-11-25T10:00:00Z', open: true, extra: 1 }).success,
    false,
  );
  assert.equal(SensorEvent.safeParse({ type: 'teleport', at: '2026-11-25T10:00:00Z' }).success, false);
  assert.equal(SensorEvent.safeParse({ type: 'sound_level', at: 'yesterday', dbA: 40 }).success, false);
});
