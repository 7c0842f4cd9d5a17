import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { InlineRunner } from './2-pipeline/index.ts';
import { startHarness } from './test/harness.ts';

test('a connection that never sends CONNECT does not hold up stopping: it is ended and the stop says which step waited', async () => {
  const logLines: string[] = [];
  // a long connect timeout, so that only the stop itself can end the silent connection
  const h = await startHarness({
    frames: new InlineRunner(null),
    broker: { limits: { connectTimeoutMs: 120_000 } },
    logLines,
  });
  const port = Number(new URL(h.brokerUrl).port);
  const silent = connect(port, '127.0.0.1');
  await new Promise<void>((r) => silent.once('connect', () => r()));
  const closed = new Promise<void>((r) => silent.once('close', () => r()));
  silent.on('error', () => {});
  const t0 = Date.now();
  await h.stop();
  await closed;
  // aedes closes only the clients that completed CONNECT; the listener waited for this one
  assert.ok(Date.now() - t0 < 20_000, `stopped in ${Date.now() - t0} ms`);
  assert.ok(
    logLines.some((l) => /"step":"listeners close".*a step of stopping did not finish/.test(l)),
    logLines.filter((l) => /step/.test(l)).join('\n'),
  );
  assert.ok(logLines.some((l) => /"msg":"gateway stopped"/.test(l)));
});

test('the start is logged with the form of the code that runs: the sources here (tests run them through tsx)', async () => {
  const logLines: string[] = [];
  const h = await startHarness({ frames: new InlineRunner(null), logLines });
  await h.stop();
  assert.ok(
    logLines.some((l) => /"code":"sources".*"msg":"gateway started"/.test(l)),
    logLines.join('\n'),
  );
});
