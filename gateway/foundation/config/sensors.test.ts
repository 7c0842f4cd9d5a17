import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index.ts';

async function check(yaml: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-config-'));
  try {
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, yaml);
    const r = await loadConfig(file, {});
    return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('GPIO sensors: two on one pin, one id twice (also against an RTSP camera), or an option of another kind are errors with line and key', async () => {
  const errors = await check(
    [
      'cameras:',
      '  pir-1: { source: "rtsp://10.0.0.2/s" }',
      'sensors:',
      '  - { id: pir-1, kind: pir, pin: 17 }',
      '  - { id: door-1, kind: door, pin: 17 }',
      '  - { id: panic-1, kind: panic, pin: 22, options: { contact: NC } }',
    ].join('\n'),
  );
  assert.ok(
    errors.some((e) => /^4:\d+ sensors\[0\]\.id: the id "pir-1" is a camera's too/.test(e)),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => /^5:\d+ sensors\[1\]\.pin: pin 17 is used by two sensors/.test(e)),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => /^6:\d+ sensors\[2\]\.options.*contact/.test(e)),
    errors.join('\n'),
  );
});

test('a sound sensor must say the level its comparator trips at; the others have defaults', async () => {
  const errors = await check(
    ['sensors:', '  - { id: yard, kind: sound, pin: 5 }', '  - { id: hall, kind: pir, pin: 6 }'].join('\n'),
  );
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /^2:\d+ sensors\[0\]/);
});
