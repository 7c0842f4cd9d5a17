import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;

/**
 * Which top-level folders each folder's non-test code may import (docs/architecture.md, "Folders
 * and the direction of imports").
 */
const ALLOWED: Record<string, string[]> = {
  devices: [],
  policies: ['devices'],
  models: [],
  simulators: ['devices'],
  gateway: ['devices', 'policies', 'models', 'simulators'],
};

async function* sources(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'test') yield* sources(p);
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

test('imports flow one way: devices and models are leaves, simulators speak only the device contract', async () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for await (const file of sources(join(ROOT, folder))) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), m[1]!)).split('/')[0]!;
        if (target !== folder && !allowed.includes(target)) violations.push(`${relative(ROOT, file)} imports ${m[1]}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

/**
 * Inside gateway/: which groups each group's non-test code may import (docs/architecture.md, "Inside
 * gateway/"). The stages of the data path hand work on through callbacks the composition root wires;
 * a stage imports only what it hands to or reads from, never operations/.
 */
const GATEWAY_ALLOWED: Record<string, string[]> = {
  foundation: [],
  '1-inputs': ['foundation', '2-pipeline'],
  '2-pipeline': ['foundation'],
  '3-decision': ['foundation', '2-pipeline', '4-records'],
  '4-records': ['foundation'],
  '5-uplink': ['foundation', '4-records'],
  operations: ['foundation', '1-inputs', '2-pipeline', '3-decision', '4-records', '5-uplink', '(root)'],
  '(root)': ['foundation', '1-inputs', '2-pipeline', '3-decision', '4-records', '5-uplink', 'operations'],
};

test('inside gateway/ imports follow the data path: inputs, pipeline, decision, records, uplink; operations apart; foundation a leaf', async () => {
  const GW = join(ROOT, 'gateway');
  const groupOf = (p: string) => {
    const parts = relative(GW, p).split('/');
    return parts.length === 1 ? '(root)' : parts[0]!;
  };
  const folders = (await readdir(GW, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  // every folder has its place in the rules (test/ holds the tests' own helpers)
  assert.deepEqual(
    folders.filter((f) => f !== 'test' && !(f in GATEWAY_ALLOWED)),
    [],
  );
  const violations: string[] = [];
  for await (const file of sources(GW)) {
    const from = groupOf(file);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(`${GW}/`)) continue;
      const to = groupOf(target);
      if (to !== from && !GATEWAY_ALLOWED[from]!.includes(to))
        violations.push(`${relative(ROOT, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only the demo, the simulate command and the scenario runner, compositions of the whole system, use the simulators from gateway/', async () => {
  const users: string[] = [];
  for await (const file of sources(join(ROOT, 'gateway'))) {
    if (/simulators\/[\w./-]+'/.test(await readFile(file, 'utf8'))) users.push(relative(ROOT, file));
  }
  assert.deepEqual(users.sort(), [
    'gateway/operations/cli/commands/demo.ts',
    'gateway/operations/cli/commands/simulate.ts',
    'gateway/operations/scenario/run.ts',
    'gateway/operations/scenario/schema.ts',
  ]);
});

test('policies/ is pure: no files, no network, no clock of its own (time is passed in)', async () => {
  const impure: string[] = [];
  for await (const file of sources(join(ROOT, 'policies'))) {
    const text = await readFile(file, 'utf8');
    for (const bad of [
      'node:fs',
      'node:net',
      'node:http',
      'node:child_process',
      'Date.now(',
      'new Date()',
      'setTimeout(',
      'Math.random(',
    ]) {
      if (text.includes(bad)) impure.push(`${relative(ROOT, file)} uses ${bad}`);
    }
  }
  assert.deepEqual(impure, []);
});
