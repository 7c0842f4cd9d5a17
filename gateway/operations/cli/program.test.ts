import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildProgram } from './program.ts';

const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache)
    .map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1])
    .filter((p): p is string => p !== undefined);

test('a command that reads the config loads no model or MQTT library; the help lists every command', async () => {
  const devices = await buildProgram(['node', 'veilgate', 'devices', 'list']);
  assert.deepEqual(
    devices.commands.map((c) => c.name()),
    ['devices'],
  );
  // CommonJS packages, which require.cache shows: the model runtime, the MQTT client, the broker's store
  const heavy = ['onnxruntime-node', 'mqtt', 'aedes-persistence'];
  assert.deepEqual(
    loaded().filter((p) => heavy.includes(p)),
    [],
    'devices loaded none of them',
  );
  // the positive control: the whole program (as for --help) does load them
  const all = await buildProgram();
  assert.equal(all.commands.length, 15, all.commands.map((c) => c.name()).join(' '));
  for (const p of heavy) assert.ok(loaded().includes(p), `the whole program loads ${p}`);
});
