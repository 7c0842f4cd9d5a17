import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCaseFile, parsePolicy, runCases } from './index.ts';

const DIR = new URL('.', import.meta.url).pathname;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

const policies = yamlFiles(DIR).filter((f) => !f.endsWith('.cases.yaml'));

test('every shipped policy is valid and has a case file', () => {
  assert.ok(policies.length >= 4, policies.join(', '));
  for (const file of policies) {
    const r = parsePolicy(readFileSync(file, 'utf8'), file);
    assert.ok(r.ok, `${relative(DIR, file)}: ${r.ok ? '' : JSON.stringify(r.errors)}`);
    assert.doesNotThrow(
      () => readFileSync(file.replace(/\.yaml$/, '.cases.yaml')),
      `${relative(DIR, file)} has no .cases.yaml`,
    );
  }
});

for (const file of policies) {
  test(`the cases of ${relative(DIR, file)} pass`, () => {
    const p = parsePolicy(readFileSync(file, 'utf8'), file);
    const casesFile = file.replace(/\.yaml$/, '.cases.yaml');
    const c = parseCaseFile(readFileSync(casesFile, 'utf8'), casesFile);
    assert.ok(p.ok && c.ok, JSON.stringify(c.ok ? '' : c.errors));
    const failed = runCases(p.value.policy, c.value).filter((r) => !r.ok);
    assert.deepEqual(
      failed.map((r) => `${r.name}: expected ${r.expected}, got ${r.actual}`),
      [],
    );
    assert.ok(c.value.cases.length >= 5, 'each example documents itself with at least five cases');
  });
}

test('a case that expects the wrong outcome fails, so passing cases mean something', () => {
  const p = parsePolicy(readFileSync(join(DIR, 'default.yaml'), 'utf8'), 'default.yaml');
  const c = parseCaseFile(
    `cases:
  - name: wrongly expects the open flag to leave
    device: { id: door-1, kind: sensor }
    record: door
    fields: { type: door, at: "2026-11-25T10:42:37Z", open: true }
    expect:
      forward: { type: door, at: "2026-11-25T10:42:00.000Z", open: true }
`,
    'x.cases.yaml',
  );
  assert.ok(p.ok && c.ok);
  const [r] = runCases(p.value.policy, c.value);
  assert.equal(r?.ok, false);
  assert.match(r?.actual ?? '', /^forward \{"type":"door","at":"2026-11-25T10:42:00.000Z"\}/);
});

test('case inputs are checked against the device contract', () => {
  const c = parseCaseFile(
    `cases:
  - name: a door event without its open flag
    device: { id: door-1, kind: sensor }
    record: door
    fields: { type: door, at: "2026-11-25T10:42:37Z", colour: red }
    expect: { withhold: NO_RULE }
`,
    'x.cases.yaml',
  );
  assert.equal(c.ok, false);
  if (c.ok) return;
  assert.ok(
    c.errors.some((e) => /door records have no field "colour"/.test(e.message)),
    JSON.stringify(c.errors),
  );
  assert.ok(
    c.errors.every((e) => e.line === 2),
    'errors point at the case',
  );
});
