import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { tallyAudit } from '../../test/audit-tally.ts';
import { readLines } from '../../foundation/storage/jsonl-log.ts';
import { DeviceRegistry } from '../../foundation/registry/index.ts';
import type { AuditEntry } from '../../4-records/audit/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';

test('the gateway picks up a valid new policy version at once, and keeps it when the file is then broken', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const file = h.gateway.cfg.policy.file;
  const original = await readFile(file, 'utf8');
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  t.after(() => door.endAsync());
  let n = 0;
  const records = () =>
    h.upstream
      .filter((r) => r.topic.endsWith('/door'))
      .map((r) => JSON.parse(r.payload.toString()) as { policy: { version: number }; fields: Record<string, unknown> });
  const sendDoor = async () => {
    const before = records().length;
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n++)), { qos: 1 });
    await waitFor('the door record upstream', () => records().length > before);
    return records().at(-1)!;
  };
  const audit = async () =>
    (await readLines(join(h.gateway.cfg.dataDir, 'audit', 'audit.jsonl'))).lines.map((l) => (l as AuditEntry).event);

  assert.deepEqual(Object.keys((await sendDoor()).fields), ['type', 'at']);

  // v3 also lets out whether the door opened; written in place, as an editor does
  const v3 = original.replace('version: 2', 'version: 3').replace('allow: [type, at]', 'allow: [type, at, open]');
  await writeFile(file, v3);
  await waitFor('version 3 in force', () => h.gateway.policy?.policy.version === 3);
  const r3 = await sendDoor();
  assert.equal(r3.policy.version, 3);
  assert.deepEqual(Object.keys(r3.fields), ['type', 'at', 'open']);

  // a broken file is rejected and v3 stays in force
  await writeFile(file, v3.replace('allow: [type, at, open]', 'alow: [type, at, open]'));
  await waitFor('the rejection recorded', async () => (await audit()).some((e) => e.type === 'policy-rejected'));
  assert.equal(h.gateway.policy?.policy.version, 3);
  assert.equal((await sendDoor()).policy.version, 3);

  // a change that keeps the version number is refused: two policies must never share one name
  await writeFile(file, v3.replace('allow: [type, at, open]', 'allow: [type, at]'));
  await waitFor(
    'the second rejection recorded',
    async () => (await audit()).filter((e) => e.type === 'policy-rejected').length === 2,
  );
  assert.deepEqual(Object.keys((await sendDoor()).fields), ['type', 'at', 'open']);

  // deploy tools write a new file and rename it into place
  await writeFile(`${file}.tmp`, original.replace('version: 2', 'version: 4'));
  await rename(`${file}.tmp`, file);
  await waitFor('version 4 in force', () => h.gateway.policy?.policy.version === 4);
  assert.deepEqual(Object.keys((await sendDoor()).fields), ['type', 'at']);

  await h.gateway.recordWindowsNow();
  const events = await audit();
  const activations = events.filter((e) => e.type === 'policy-activated');
  assert.deepEqual(
    activations.map((e) => e.type === 'policy-activated' && [e.policy.version, e.previous?.version ?? null, e.trigger]),
    [
      [2, null, 'start'],
      [3, 2, 'file-changed'],
      [4, 3, 'file-changed'],
    ],
  );
  const rejections = events.filter((e) => e.type === 'policy-rejected');
  assert.equal(rejections.length, 2);
  assert.ok(rejections.every((e) => e.type === 'policy-rejected' && e.kept?.version === 3));
  assert.match(JSON.stringify(rejections[0]), /rules\[1\]\.alow/);
  assert.match(JSON.stringify(rejections[1]), /version is still 3/);
  const versionLine = original.split('\n').findIndex((l) => l.startsWith('version:')) + 1;
  assert.match(
    JSON.stringify(rejections[1]),
    new RegExp(`"${versionLine}:\\d+ version the file changed`),
    'at the version line',
  );
  // every decision names the version that made it
  const decisions = (await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'))).decisions.filter(
    (d) => d.recordType === 'door',
  );
  assert.deepEqual(
    decisions.flatMap((d) => Array<number | undefined>(d.count).fill(d.policy?.version)),
    [2, 3, 3, 3, 4],
  );
});

test("a device's zone reaches the policy, and a zone set with the CLI applies without a reconnect", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-zone-'));
  const policyFile = join(dir, 'zones.yaml');
  await writeFile(
    policyFile,
    `id: zones
version: 1
title: Doors in the market only
rules:
  - id: market-doors
    match: { recordTypes: [door], zones: ["market-*"] }
    allow: [type, zone]
`,
  );
  const h = await startHarness({ policyFile });
  t.after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  t.after(() => door.endAsync());
  const send = () =>
    door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });

  await send();
  await waitFor('a withhold', () => h.gateway.counters.decisions.withhold === 1);
  // what `veilgate devices zone door-1 market-square` does, from another process's registry handle
  const cli = await DeviceRegistry.open(h.gateway.cfg.dataDir);
  await cli.setZone('door-1', 'market-square');
  await waitFor('the gateway to see the zone', () => h.gateway.registry.get('door-1')?.zone === 'market-square');
  await send();
  await waitFor('a door record upstream', () => h.upstream.some((r) => r.topic.endsWith('/door')));
  const rec = JSON.parse(h.upstream.find((r) => r.topic.endsWith('/door'))!.payload.toString()) as { fields: unknown };
  assert.deepEqual(rec.fields, { type: 'door', zone: 'market-square' });
});
