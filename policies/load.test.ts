import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './index.ts';

test('a misspelled key is reported with line, column, path and a suggestion', () => {
  const text = 'id: p\nversion: 1\ntitle: t\nrules:\n  - id: r\n    match: { recordTypes: [door] }\n    alow: [type]\n';
  const r = parsePolicy(text, 'p.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const e = r.errors.find((x) => x.path === 'rules[0].alow');
  assert.ok(e, JSON.stringify(r.errors));
  assert.equal(e.line, 7);
  assert.equal(e.column, 5);
  assert.match(e.hint ?? '', /did you mean "allow"/);
});

test('a wrong type points at the value', () => {
  const r = parsePolicy('id: p\nversion: one\ntitle: t\nrules: []\n', 'p.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors[0]?.path, 'version');
  assert.equal(r.errors[0]?.line, 2);
  assert.equal(r.errors[0]?.column, 10);
});

test('an unknown record type is refused with the list of known ones', () => {
  const r = parsePolicy(
    'id: p\nversion: 1\ntitle: t\nrules:\n  - id: r\n    match: { recordTypes: [faces] }\n    allow: [a]\n',
    'p.yaml',
  );
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.match(r.errors[0]?.message ?? '', /one of: .*door/);
  assert.equal(r.errors[0]?.line, 6);
});

test('YAML syntax errors and empty files are errors, not exceptions', () => {
  const bad = parsePolicy('id: [unclosed\n', 'p.yaml');
  assert.equal(bad.ok, false);
  const empty = parsePolicy('', 'p.yaml');
  assert.equal(empty.ok, false);
  if (!empty.ok) assert.match(empty.errors[0]?.message ?? '', /empty/);
});

test('an alias bomb is refused instead of expanded', () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill('*' + String.fromCharCode(96 + i))
        .join(',')}]`,
    );
  const r = parsePolicy(lines.join('\n'), 'bomb.yaml');
  assert.equal(r.ok, false);
});

test('the policy sha256 is of the exact bytes', () => {
  const text = 'id: p\nversion: 1\ntitle: t\nrules: []\n';
  const a = parsePolicy(text, 'a.yaml');
  const b = parsePolicy(text + '# comment\n', 'b.yaml');
  assert.ok(a.ok && b.ok);
  assert.notEqual(a.value.sha256, b.value.sha256);
  assert.match(a.value.sha256, /^[0-9a-f]{64}$/);
});

test('every error is reported at once: a misspelled field in one rule and an unknown key in another', () => {
  const r = parsePolicy(
    `id: p
version: 1
title: t
rules:
  - id: r
    match: { recordTypes: [counts] }
    allow: [persn]
  - id: s
    match: { recordTypes: [door] }
    alow: [type]
`,
    'p.yaml',
  );
  assert.equal(r.ok, false);
  if (r.ok) return;
  const paths = r.errors.map((e) => `${e.line}:${e.column} ${e.path}`);
  assert.ok(paths.includes('7:13 rules[0].allow[0]'), paths.join('; '));
  assert.ok(paths.includes('10:5 rules[1].alow'), paths.join('; '));
});

test('YAML indentation mistakes are explained in words, at their line', () => {
  const tab = parsePolicy('id: p\nversion: 1\ntitle: t\nrules:\n\t- name: a\n', 'tab.yaml');
  assert.equal(tab.ok, false);
  if (tab.ok) return;
  assert.equal(tab.errors[0]!.line, 5);
  assert.match(tab.errors[0]!.hint ?? '', /spaces, not tabs/);
  const shifted = parsePolicy(
    'id: p\nversion: 1\ntitle: t\nrules:\n  - name: a\n    match: { record: door }\n      allow: [type]\n',
    'shifted.yaml',
  );
  assert.equal(shifted.ok, false);
  if (shifted.ok) return;
  assert.equal(shifted.errors[0]!.line, 7);
  assert.match(shifted.errors[0]!.hint ?? '', /same column/);
});

test('extends must name another rule of the policy, not itself, and two rules cannot extend each other', () => {
  const rule = (id: string, ext: string) =>
    `  - id: ${id}\n    match: { recordTypes: [door] }\n    extends: [${ext}]\n    allow: [type]\n`;
  const errors = (rules: string) => {
    const r = parsePolicy(`id: p\nversion: 1\ntitle: t\nrules:\n${rules}`, 'p.yaml');
    assert.equal(r.ok, false, 'the policy is refused');
    return r.ok ? [] : r.errors;
  };
  const typo = errors(
    rule('door-state', 'sensor-event') + rule('sensor-events', 'door-state').replace(/ {4}extends.*\n/, ''),
  );
  assert.equal(typo[0]?.path, 'rules[0].extends[0]');
  assert.equal(typo[0]?.line, 7);
  assert.match(typo[0]!.message, /there is no rule "sensor-event": did you mean "sensor-events"\?/);
  assert.match(errors(rule('a', 'a'))[0]!.message, /rule "a" cannot extend itself/);
  assert.match(errors(rule('a', 'b') + rule('b', 'a'))[0]!.message, /rules "a" and "b" extend each other/);
});
