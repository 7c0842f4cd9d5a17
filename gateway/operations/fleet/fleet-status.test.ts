import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { deviceTopic, GatewayHealth, UPSTREAM_SCHEMA_VERSION } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { HeadKey } from '../../4-records/audit/index.ts';
import { runVeilgate } from '../../test/run-veilgate.ts';
import { startHarness, waitFor } from '../../test/harness.ts';
import { agencyBroker } from '../../test/agency-broker.ts';
import type { FleetRow, FleetSummary } from './index.ts';

type View = { summary: FleetSummary; gateways: FleetRow[] };

test("fleet status shows each gateway from what it retains on the agency's broker: online or not, policy, audit head and its archive, backlog, warnings", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-status-'));
  const agency = await agencyBroker();
  const { seen, violations } = agency;
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(join(dir, 'agency.yaml'), `upstream:\n  url: ${agency.url}\n`);
  const status = async (...extra: string[]) => {
    const r = await runVeilgate([
      'fleet',
      'status',
      '--config',
      join(dir, 'agency.yaml'),
      '--format',
      'json',
      ...extra,
    ]);
    return { code: r.code, view: JSON.parse(r.stdout) as View, stderr: r.stderr };
  };
  const row = (v: View, id: string) => v.gateways.find((g) => g.gatewayId === id);

  const upstream = { healthSeconds: 5 };
  const north1 = await startHarness({ gatewayId: 'north-1', upstreamUrl: agency.url, upstream });
  t.after(() => north1.stop());
  const north2 = await startHarness({ gatewayId: 'north-2', upstreamUrl: agency.url, upstream });
  let north2Stopped = false;
  t.after(() => (north2Stopped ? undefined : north2.stop()));
  await waitFor('both connected', () => north1.gateway.uplink.connected && north2.gateway.uplink.connected);

  // north-1 loses its uplink while a sensor reports: three records wait, and its health says so when it is back
  const secret = await north1.gateway.registry.add('door-1', 'sensor');
  await north1.gateway.uplink.stop();
  const door = await mqtt.connectAsync(north1.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  for (let n = 0; n < 3; n++)
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
  await door.endAsync();
  // (and any signed audit head queued meanwhile)
  await waitFor('three records waiting', () => north1.gateway.outbox.size >= 3);
  await north1.gateway.uplink.start();
  const healths = () =>
    seen
      .filter((r) => r.topic === 'veilgate/north-1/health')
      .map((r) => GatewayHealth.parse(JSON.parse(r.payload.toString())));
  await waitFor('a health report with the backlog', () =>
    healths().some((h) => h.outbox.depth >= 3 && h.outbox.oldestAt !== null),
  );
  await waitFor('the records delivered', () => north1.gateway.outbox.size === 0);
  // the next report (every healthSeconds) says when the agency last took one
  await waitFor('a health report after the delivery', () => healths().some((h) => h.lastRecordAt !== null), 20_000);
  // north-2 is stopped cleanly: its broker keeps "offline" for it
  await north2.stop();
  north2Stopped = true;

  // a gateway that says it is online but stopped reporting, and one whose head is not signed by its key
  const agencyClient = await mqtt.connectAsync(agency.url, { clientId: 'agency-test', reconnectPeriod: 0 });
  t.after(() => agencyClient.endAsync());
  const retain = (topic: string, payload: string) =>
    agencyClient.publishAsync(topic, payload, { qos: 1, retain: true });
  const old = new Date(Date.now() - 10 * 60_000).toISOString();
  const staleHealth: GatewayHealth = {
    schemaVersion: UPSTREAM_SCHEMA_VERSION,
    gatewayId: 'east-1',
    at: old,
    version: '0.1.0',
    startedAt: old,
    everySeconds: 60,
    outbox: { depth: 0, bytes: 0, oldestAt: null, dropped: 0 },
    policy: null,
    lastRecordAt: null,
    devices: { online: 0, known: 0 },
    warnings: [],
  };
  await retain('veilgate/east-1/status', 'online');
  await retain('veilgate/east-1/health', JSON.stringify(staleHealth));
  const real = await HeadKey.openOrCreate(join(dir, 'south-key'));
  const forger = await HeadKey.openOrCreate(join(dir, 'forger-key'));
  await retain('veilgate/south-9/status', 'online');
  await retain('veilgate/south-9/audit-key', real.publicPem);
  await retain(
    'veilgate/south-9/audit-head',
    JSON.stringify(forger.sign('south-9', { seq: 7, hash: 'a'.repeat(64) }, new Date())),
  );

  const first = await status();
  assert.equal(first.code, 1, `a head not signed by its gateway's key fails the check: ${first.stderr}`);
  const n1 = row(first.view, 'north-1');
  assert.ok(n1, `north-1 is listed: ${first.view.gateways.map((g) => g.gatewayId).join(', ')}`);
  assert.equal(n1.online, true);
  assert.deepEqual(
    { id: n1.policy?.id, version: n1.policy?.version, source: n1.policy?.source, rollout: n1.rollout?.outcome },
    { id: 'veilgate-default', version: 2, source: 'file', rollout: undefined },
  );
  assert.equal(n1.head?.signature, 'valid');
  assert.equal(n1.devices?.known, 1);
  assert.ok(n1.lastRecordAgeSeconds !== null && n1.lastRecordAgeSeconds < 60, 'its last record is recent');
  assert.deepEqual(n1.warnings, []);
  assert.equal(row(first.view, 'north-2')?.online, false, 'north-2 stopped: offline');
  const east = row(first.view, 'east-1');
  assert.ok(east?.healthStale && east.warnings.some((w) => /does not report/.test(w)), JSON.stringify(east));
  const south = row(first.view, 'south-9');
  assert.equal(south?.head?.signature, 'invalid');
  assert.deepEqual(
    { gateways: first.view.summary.gateways, online: first.view.summary.online, offline: first.view.summary.offline },
    { gateways: 4, online: 3, offline: 1 },
  );

  // the agency's archive of north-1's heads: as received, they hold together; with one rewritten, they do not
  const archive = join(dir, 'heads');
  await mkdir(archive);
  const heads = seen.filter((r) => r.topic === 'veilgate/north-1/audit-heads').map((r) => r.payload.toString());
  assert.ok(heads.length >= 1, 'north-1 sent its signed heads through the outbox');
  await writeFile(join(archive, 'north-1.jsonl'), `${heads.join('\n')}\n`);
  const archived = row((await status('--heads', archive)).view, 'north-1');
  assert.deepEqual(archived?.archive, { heads: heads.length, continuous: true, problem: null });
  const rewritten = { ...JSON.parse(heads.at(-1)!), hash: 'b'.repeat(64) };
  await writeFile(join(archive, 'north-1.jsonl'), `${[...heads, JSON.stringify(rewritten)].join('\n')}\n`);
  const broken = await status('--heads', archive);
  assert.equal(broken.code, 1);
  assert.match(row(broken.view, 'north-1')?.archive?.problem ?? '', /not signed by its audit key/);

  // the table a person reads says the same
  const text = await runVeilgate(['fleet', 'status', '--config', join(dir, 'agency.yaml')]);
  assert.match(text.stdout, /^north-1\s+online\s+veilgate-default v2 \(file\)\s+-\s+#\d+/m);
  assert.match(text.stdout, /^north-2\s+offline/m);
  assert.match(text.stdout, /^east-1\s+online, stale/m);
  assert.match(text.stdout, /^4 gateways: 3 online, 1 offline, 1 not reporting/m);
  assert.deepEqual(violations, [], 'every health report keeps the published contract');
});
