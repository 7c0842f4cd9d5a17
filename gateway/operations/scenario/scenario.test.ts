import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../../test/harness.ts';

const BIN = join(REPO, 'gateway/operations/cli/dev.js');

async function simulate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'simulate', ...args], {
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('the street scenario holds: a person counted, door and GPIO motion events forwarded, misdeeds refused, nothing lost while the uplink was down', async () => {
  const r = await simulate(join(REPO, 'simulators/scenarios/street.yaml'), '--expect', '--speed', '2');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /all 8 expectations hold/);
  assert.match(
    r.stdout,
    /uplink down[\s\S]*uplink up[\s\S]*veilgate\/sim\/door-1\/door/,
    'the door event sent while the uplink was down arrives after it is back',
  );
  assert.doesNotMatch(r.stdout, /FAIL/);
});

test('a scenario whose expectation does not hold exits 1 and says which, with what was found', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-scenario-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'door.yaml');
  await writeFile(
    file,
    [
      'name: the policy keeps open/closed back',
      'duration: 2',
      'devices: [{ id: door-9, kind: sensor, type: door }]',
      'timeline: [{ at: 0.5, sensor: door-9, event: { open: true } }]',
      'expect:',
      '  - { record: door, device: door-9, count: 1 }',
      '  - { record: door, device: door-9, where: { open: true } }',
    ].join('\n'),
  );
  const r = await simulate(file, '--expect', '--quiet');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /ok {4}exactly 1 door record\(s\) from door-9: 1 matching of 1/);
  assert.match(r.stdout, /FAIL {2}at least 1 door record\(s\) from door-9 with open true: 0 matching of 1/);
  assert.match(r.stdout, /1 of 2 expectations failed/);
});

test('a scenario naming a device it does not declare is refused before anything runs, with the line and key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-scenario-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    [
      'name: typo',
      'duration: 5',
      'devices:',
      '  - { id: door-1, kind: sensor, type: door }',
      'timeline:',
      '  - { at: 1, sensor: door-2 }',
      '  - { at: 9, uplink: down }',
    ].join('\n'),
  );
  const r = await simulate(file, '--expect');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:6:\d+.*timeline\[0\]\.sensor.*no sensor device "door-2"/);
  assert.match(
    r.stderr,
    /bad\.yaml:7:\d+.*timeline\[1\]\.at.*after the end \(duration 5\)/,
    'a step that names no device is checked too',
  );
});

test('a scenario whose camera source is missing stops with a clear error and exit 2, leaving nothing running', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-scenario-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'cam.yaml');
  await writeFile(
    file,
    ['name: no footage', 'duration: 2', 'devices: [{ id: cam-9, kind: camera, source: ./nowhere.mp4 }]'].join('\n'),
  );
  const r = await simulate(file, '--expect');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /cam\.yaml: .*nowhere\.mp4/);
});
