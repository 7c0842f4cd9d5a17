import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const ROOT = new URL('../../../', import.meta.url).pathname;
const QUIET = new URL('./quiet-debug.js', import.meta.url).href;

/**
 * Parses and writes one PUBLISH with mqtt-packet loaded by aedes, in a fresh process (this one may
 * have loaded mqtt-packet already), after switching every mqtt-packet logger on at run time: the
 * real loggers then print, the do-nothing ones cannot. Returns what the process wrote to stderr.
 */
async function parseWithLoggingSwitchedOn(
  quiet: boolean,
  env: Record<string, string> = {},
): Promise<{ stderr: string; quieted: string[] }> {
  const script = `
    ${quiet ? `await import(${JSON.stringify(QUIET)});` : ''}
    await import('aedes');
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(`${ROOT}node_modules/aedes/package.json`)});
    const mqtt = require('mqtt-packet');
    createRequire(require.resolve('mqtt-packet'))('debug').enable('mqtt-packet:*');
    const bytes = mqtt.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    const parser = mqtt.parser();
    let parsed = 0;
    parser.on('packet', () => parsed++);
    parser.parse(bytes);
    if (parsed !== 1) throw new Error('the packet was not parsed');
    const { quietedNamespaces } = await import(${JSON.stringify(QUIET)});
    console.log(JSON.stringify(${quiet ? 'quietedNamespaces()' : '[]'}));
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, DEBUG: '', ...env },
  });
  return { stderr, quieted: JSON.parse(stdout) as string[] };
}

test('loaded first, it leaves mqtt-packet loggers that DEBUG switched off doing nothing', async () => {
  const plain = await parseWithLoggingSwitchedOn(false);
  // the check can fail: without the module the same loggers print once switched on
  assert.match(plain.stderr, /mqtt-packet:parser/);
  assert.match(plain.stderr, /mqtt-packet:writeToStream/);
  const quiet = await parseWithLoggingSwitchedOn(true);
  assert.equal(quiet.stderr, '');
  assert.ok(
    quiet.quieted.includes('mqtt-packet:parser') && quiet.quieted.includes('mqtt-packet:writeToStream'),
    quiet.quieted.join(),
  );
});

test('a namespace DEBUG switches on keeps its real logger', async () => {
  const { stderr, quieted } = await parseWithLoggingSwitchedOn(true, { DEBUG: 'mqtt-packet:parser' });
  assert.match(stderr, /mqtt-packet:parser/);
  assert.doesNotMatch(stderr, /mqtt-packet:writeToStream/);
  assert.ok(!quieted.includes('mqtt-packet:parser'));
});

test('the veilgate command, installed or from the sources, loads it before anything else', async () => {
  for (const launcher of ['bin.js', 'dev.js']) {
    const bin = await readFile(new URL(`../../../operations/cli/${launcher}`, import.meta.url), 'utf8');
    const imports = [...bin.matchAll(/^import .*'([^']+)';$/gm)].map((m) => m[1]);
    assert.equal(imports[0], '../../1-inputs/broker/patches/quiet-debug.js', launcher);
  }
});
