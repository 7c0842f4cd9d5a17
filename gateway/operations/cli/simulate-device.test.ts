import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { vtestMissing, VTEST } from '../../../fixtures/vtest.ts';
import { InlineRunner } from '../../2-pipeline/index.ts';
import { REPO, startHarness, waitFor } from '../../test/harness.ts';

const BIN = join(REPO, 'gateway/operations/cli/dev.js');

test(
  '`veilgate simulate camera` streams a real video clip (through ffmpeg) to a running gateway until Ctrl-C',
  { skip: vtestMissing() || false },
  async (t) => {
    const h = await startHarness({ frames: new InlineRunner(null) });
    t.after(() => h.stop());
    const secret = await h.gateway.registry.add('cam-sim', 'camera');
    const child = spawn(
      process.execPath,
      [BIN, 'simulate', 'camera', '--url', h.brokerUrl, '--id', 'cam-sim', '--source', VTEST, '--fps', '10'],
      { env: { ...process.env, VEILGATE_DEVICE_SECRET: secret } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    // without models every frame is withheld (fail closed), and each is counted
    await waitFor(
      'frames from the clip at the gateway',
      () => (h.gateway.ingest.stats.dropped.MODEL_UNAVAILABLE ?? 0) >= 10,
      30_000,
    );
    assert.match(out, /camera cam-sim publishing to mqtt:\/\/127\.0\.0\.1:\d+/);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /sent \d+/);
  },
);

test('`veilgate simulate sensor` without a secret is a usage error that names what is missing', async () => {
  const child = spawn(process.execPath, [BIN, 'simulate', 'sensor', '--url', 'mqtt://127.0.0.1:1', '--id', 'door-1'], {
    env: { ...process.env, VEILGATE_DEVICE_SECRET: '' },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  assert.equal(await new Promise((r) => child.once('exit', r)), 2);
  assert.match(err, /sensor needs --url, --id and --secret/);
});

test("`veilgate simulate misbehave` given a camera for a sensor's misdeed stops with a clear error, not a reconnect loop", async (t) => {
  const h = await startHarness({ frames: new InlineRunner(null) });
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('cam-wrong', 'camera');
  const child = spawn(
    process.execPath,
    [BIN, 'simulate', 'misbehave', '--url', h.brokerUrl, '--id', 'cam-wrong', '--do', 'invalid-event'],
    { env: { ...process.env, VEILGATE_DEVICE_SECRET: secret } },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 1, out);
  assert.match(out, /invalid-event: disconnected/);
  assert.match(out, /cam-wrong is not a sensor/);
});
