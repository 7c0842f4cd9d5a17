import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { startCameraSim, startSensorSim } from '../../../simulators/index.ts';
import { queryAudit, verifyAudit } from '../../4-records/audit/index.ts';
import { sum, tallyAudit } from '../../test/audit-tally.ts';
import { PHOTOS, startHarness, waitFor } from '../../test/harness.ts';
import { startAedesUpstream } from '../../test/upstream-brokers.ts';
import type { TransparencyReport } from './index.ts';
import { veilgateOk } from '../../test/run-veilgate.ts';

const cli = (args: string[]) => veilgateOk(args, { maxBuffer: 32 * 1024 * 1024 });

test('the transparency report, from a real run: devices, policy in words, counts by type and reason, redactions, an outage, and the chain head', async (t) => {
  const upstream = await startAedesUpstream(() => {});
  const h = await startHarness({ upstreamUrl: upstream.url });
  t.after(async () => {
    await h.stop();
    await upstream.dispose();
  });
  const config = join(h.dir, 'gateway.yaml');
  await writeFile(config, 'gatewayId: gw-test\ndataDir: ./data\n');
  const frames = [await sharp(join(PHOTOS, 'astronaut.png')).jpeg().toBuffer()];
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames,
    fps: 5,
  });
  const door = await startSensorSim({
    url: h.brokerUrl,
    deviceId: 'door-1',
    secret: await h.gateway.registry.add('door-1', 'sensor'),
    type: 'door',
    every: 0.2,
  });
  t.after(async () => {
    await cam.stop();
    await door.stop();
  });

  // device changes made with the CLI while the gateway runs: recorded by the gateway, in the one chain
  await cli(['devices', 'add', 'pir-1', '--kind', 'sensor', '--zone', 'north-gate', '--config', config]);
  await cli(['devices', 'rotate', 'door-1', '--config', config]);
  await cli(['devices', 'add', 'tmp-1', '--kind', 'sensor', '--config', config]);
  await cli(['devices', 'remove', 'tmp-1', '--config', config]);
  const auditDir = join(h.gateway.cfg.dataDir, 'audit');
  const deviceEvents = async () => {
    const out: string[] = [];
    for await (const e of queryAudit(auditDir, { types: ['device'] }))
      if (e.event.type === 'device') out.push(`${e.event.action} ${e.event.deviceId}`);
    return out;
  };
  await waitFor('the CLI changes in the audit log', async () => (await deviceEvents()).includes('removed tmp-1'));

  // an uplink outage of a second or two
  await waitFor('records delivered', () => h.gateway.uplink.stats.delivered > 3);
  await upstream.stop();
  await waitFor('uplink down', () => !h.gateway.uplink.connected);
  await new Promise((r) => setTimeout(r, 1500));
  await upstream.start();
  await waitFor('uplink back', () => h.gateway.uplink.connected);
  await waitFor('counts records', () => h.gateway.ingest.stats.processed >= 8);
  await cam.stop();
  await door.stop();
  await h.gateway.stop();

  const events = await deviceEvents();
  for (const e of ['added cam-1', 'added door-1', 'added pir-1', 'rotated door-1', 'added tmp-1', 'removed tmp-1'])
    assert.ok(events.includes(e), `${e} in ${events.join(', ')}`);
  assert.equal(events.filter((e) => e === 'added pir-1').length, 1, 'each change recorded once');
  const chain = await verifyAudit(auditDir);
  assert.ok(chain.ok, JSON.stringify(chain));

  const report = JSON.parse(
    (await cli(['report', '--format', 'json', '--config', config])).stdout,
  ) as TransparencyReport;
  const tally = await tallyAudit(auditDir);
  const forwarded = sum(tally.decisions.filter((d) => d.action === 'forward'));
  const withheld = sum(tally.decisions.filter((d) => d.action === 'withhold'));
  assert.deepEqual([report.decisions.forwarded, report.decisions.withheld], [forwarded, withheld]);
  assert.ok(report.decisions.byType.door!.forwarded > 0);
  assert.ok(report.decisions.byType.counts!.forwarded > 0);
  assert.ok(report.decisions.byType.observation!.withheld >= 8);
  assert.ok(report.decisions.withheldByReason.NO_RULE! >= 8);
  assert.ok((report.redactions.byClass.face ?? 0) >= 8, JSON.stringify(report.redactions));
  assert.ok(report.redactions.frames >= 8);
  const methods = tally.redactionMethods['cam-1'];
  assert.deepEqual(
    methods,
    { face: 'pixelate', head: 'pixelate' },
    'each decision on a frame records how its regions were obscured (the face, and the head of the person box)',
  );
  const devices = Object.fromEntries(report.devices.map((d) => [d.id, d]));
  assert.deepEqual(devices['cam-1']!.leaving, ['counts']);
  assert.deepEqual(devices['door-1']!.leaving, ['door']);
  assert.equal(devices['pir-1']!.zone, 'north-gate');
  assert.equal(devices['tmp-1']!.state, 'removed');
  assert.equal(report.policies.length, 1);
  assert.equal(report.policies[0]!.id, 'veilgate-default');
  assert.ok(
    report.policies[0]!.words!.rules.some((r) => /door/.test(r.says)),
    JSON.stringify(report.policies[0]!.words),
  );
  assert.ok(report.policies[0]!.words!.vision.some((v) => /No picture ever leaves/.test(v)));
  assert.ok(report.outages.uplink.length >= 1 && report.outages.uplinkSeconds >= 1, JSON.stringify(report.outages));
  assert.deepEqual(report.chain.head, chain.ok ? chain.head : null);

  const html = (await cli(['report', '--format', 'html', '--config', config])).stdout;
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<svg[^>]*aria-label="Records by type"/);
  assert.doesNotMatch(html, /<script|<link|src=|url\(/, 'self-contained: no script and nothing fetched');
  assert.match(html, new RegExp(chain.ok ? chain.head.hash : 'x'));
  const md = (await cli(['report', '--format', 'md', '--since', '2000-01-01', '--config', config])).stdout;
  assert.match(md, /^# Transparency report: gateway gw-test/);
  assert.match(md, /\| door \| \d+ \| 0 \|/);

  // a report on a period with nothing in it says so rather than inventing figures
  const empty = JSON.parse(
    (await cli(['report', '--format', 'json', '--since', '2001-01-01', '--until', '2001-02-01', '--config', config]))
      .stdout,
  ) as TransparencyReport;
  assert.equal(empty.decisions.forwarded + empty.decisions.withheld, 0);
  await assert.rejects(cli(['report', '--format', 'pdf', '--config', config]), /--format must be html, md or json/);
});

test('a report on a tampered chain says so on its first page', async (t) => {
  const h = await startHarness();
  const dataDir = h.gateway.cfg.dataDir;
  const config = join(h.dir, 'gateway.yaml');
  await writeFile(config, 'dataDir: ./data\n');
  await h.gateway.stop();
  t.after(() => h.stop().catch(() => {}));
  const file = join(dataDir, 'audit', 'audit.jsonl');
  await writeFile(file, (await readFile(file, 'utf8')).replace('"action":"start"', '"action":"stop"'));
  const html = (await cli(['report', '--config', config])).stdout;
  assert.match(html, /The audit chain does not verify/);
});
