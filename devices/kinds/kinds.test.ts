import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { DEVICE_KINDS, DeviceKind, kindAllowsChannel, RECORD_TYPES } from './index.ts';

test('every kind file in devices/kinds/ is a registered kind, and each declares the payload of every channel it may use', async () => {
  const files = (await readdir(new URL('./', import.meta.url))).filter(
    (f) => f.endsWith('.ts') && !['index.ts', 'channel.ts'].includes(f) && !f.endsWith('.test.ts'),
  );
  assert.deepEqual(files.map((f) => f.replace('.ts', '')).sort(), [...DeviceKind.options].sort());
  for (const [name, k] of Object.entries(DEVICE_KINDS)) {
    assert.deepEqual(Object.keys(k.payloads).sort(), [...k.channels].sort(), name);
    assert.ok(k.recordTypes.length > 0, name);
  }
});

test("a sensor cannot publish frames and a camera cannot publish events; the record types are the union of the kinds'", () => {
  assert.equal(kindAllowsChannel('sensor', 'frames'), false);
  assert.equal(kindAllowsChannel('camera', 'events'), false);
  assert.equal(kindAllowsChannel('camera', 'frames'), true);
  assert.deepEqual([...RECORD_TYPES].sort(), [
    'counts',
    'door',
    'incident',
    'motion',
    'observation',
    'panic',
    'snapshot',
    'sound_level',
  ]);
});
