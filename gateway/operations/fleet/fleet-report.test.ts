import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { deviceTopic, isGatewayMessageTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { agencyBroker } from '../../test/agency-broker.ts';
import { runVeilgate } from '../../test/run-veilgate.ts';
import { startHarness, waitFor } from '../../test/harness.ts';
import { mountSmallDisk, SMALL_DISK_UNAVAILABLE } from '../../test/small-disk.ts';
import { bundledScript } from '../../test/bundled-script.ts';
import type { FleetReport } from './index.ts';

const BIN = new URL('../cli/dev.js', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';

/**
 * `veilgate fleet archive` as the agency runs it: its own process, stopped with Ctrl-C; `faults`, a
 * bundled gateway/test/fault-fs.ts, is loaded first when given (with `env` saying what to break).
 */
async function startArchiver(config: string, out: string, opts: { faults?: string; env?: NodeJS.ProcessEnv } = {}) {
  const args = [...(opts.faults ? ['--import', opts.faults] : []), BIN, 'fleet', 'archive'];
  const p: ChildProcess = spawn(process.execPath, [...args, '--config', config, '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let output = '';
  p.stdout!.on('data', (d) => (output += d));
  p.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  await waitFor('the archive subscribed', () => output.includes('archiving') || p.exitCode !== null, 30_000);
  return {
    output: () => output,
    exitCode: () => p.exitCode,
    signal: () => p.signalCode,
    exited,
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGINT');
      // never left behind: a test that failed part-way must still end
      const late = setTimeout(() => p.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(late);
      return code;
    },
  };
}

/** a record's envelope as gateway gw-x sends it upstream, for the archive's fault tests */
const envelope = (i: number) =>
  JSON.stringify({
    schemaVersion: 1,
    id: `rec-${i}`,
    gatewayId: 'gw-x',
    deviceId: 'door-1',
    recordType: 'door',
    policy: { id: 'p', version: 1, sha256: 'c'.repeat(64) },
    fields: { open: true },
  });

test('fleet report counts what the archive kept: records by gateway and type, policies, an outage, audit continuity; in html, md and json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-report-'));
  const agency = await agencyBroker();
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const config = join(dir, 'agency.yaml');
  await writeFile(config, `upstream:\n  url: ${agency.url}\n`);
  const archive = join(dir, 'archive');
  const archiver = await startArchiver(config, archive);
  t.after(() => archiver.stop());

  const upstream = { healthSeconds: 5 };
  const north1 = await startHarness({ gatewayId: 'north-1', upstreamUrl: agency.url, upstream });
  t.after(() => north1.stop());
  const north2Data = join(dir, 'north-2');
  let north2 = await startHarness({ gatewayId: 'north-2', upstreamUrl: agency.url, upstream, dataDir: north2Data });
  let north2Running = true;
  t.after(() => (north2Running ? north2.stop() : undefined));
  await waitFor('both connected', () => north1.gateway.uplink.connected && north2.gateway.uplink.connected);
  const secret = await north1.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(north1.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  for (let n = 0; n < 4; n++)
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
  await door.endAsync();
  const records = () => agency.seen.filter((r) => !isGatewayMessageTopic(r.topic) && r.topic.includes('/north-1/'));
  await waitFor(
    'four records at the agency',
    () => new Set(records().map((r) => JSON.parse(r.payload.toString()).id)).size === 4,
  );
  // north-2 goes away and comes back: an outage
  north2Running = false;
  await north2.stop();
  await new Promise((r) => setTimeout(r, 300));
  north2 = await startHarness({ gatewayId: 'north-2', upstreamUrl: agency.url, upstream, dataDir: north2Data });
  north2Running = true;
  await waitFor('north-2 back', () => north2.gateway.uplink.connected);
  // each gateway's signed heads have reached the archive
  await waitFor(
    'heads archived',
    () => existsSync(join(archive, 'heads', 'north-1.jsonl')) && existsSync(join(archive, 'heads', 'north-2.jsonl')),
    30_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await archiver.stop(), 0, `the archive stops cleanly on Ctrl-C: ${archiver.output()}`);
  const stored = await readFile(join(archive, 'events.jsonl'), 'utf8');
  assert.doesNotMatch(stored, /"fields"|"open"/, "the archive keeps envelopes, never the records' fields");

  // a line damaged in the archive is counted, not fatal
  await appendFile(join(archive, 'events.jsonl'), '{"kind":"record", garbage\n');
  const json = await runVeilgate(['fleet', 'report', '--archive', archive, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as FleetReport;
  assert.deepEqual(r.records.byGateway['north-1'], { door: 4 }, 'each record counted once, by its id');
  assert.deepEqual(r.gateways, ['north-1', 'north-2']);
  assert.deepEqual(
    r.policies.map((p) => [p.policy, p.gateways]),
    [['veilgate-default v2', 2]],
  );
  const outage = r.outages.find((o) => o.gatewayId === 'north-2');
  assert.ok(outage && outage.until !== null, `north-2's outage, with its end: ${JSON.stringify(r.outages)}`);
  assert.deepEqual(
    r.audit.map((a) => [a.gatewayId, a.continuous]),
    [
      ['north-1', true],
      ['north-2', true],
    ],
  );
  assert.equal(r.unreadableLines, 1);

  // a rewritten head in the archive: north-1's audit continuity fails, in words
  const heads = (await readFile(join(archive, 'heads', 'north-1.jsonl'), 'utf8')).trim().split('\n');
  await appendFile(
    join(archive, 'heads', 'north-1.jsonl'),
    `${JSON.stringify({ ...JSON.parse(heads.at(-1)!), hash: 'b'.repeat(64) })}\n`,
  );
  const md = await runVeilgate(['fleet', 'report', '--archive', archive, '--format', 'md']);
  assert.match(md.stdout, /^\| north-1 \| 4 \| 4 \|$/m, 'records by gateway and type');
  assert.match(md.stdout, /^\| north-1 \| \d+ \| NO: .*not signed by its audit key \|$/m);
  assert.match(md.stdout, /^\| north-2 \| .* \| .* \| \d+ s \|$/m, 'the outage and how long it lasted');

  const html = await runVeilgate([
    'fleet',
    'report',
    '--archive',
    archive,
    '--format',
    'html',
    '--out',
    join(dir, 'fleet.html'),
  ]);
  assert.equal(html.code, 0, html.stderr);
  if (!existsSync(CHROMIUM)) {
    t.diagnostic(
      `the browser check skipped: Debian chromium is not installed at ${CHROMIUM} (apt-get install chromium)`,
    );
    return;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (q) => requests.push(q.url()));
  await page.setContent(await readFile(join(dir, 'fleet.html'), 'utf8'));
  const bars = await page.locator('svg[aria-label="Records forwarded by gateway"] rect').count();
  assert.ok(bars >= 1, `the chart has bars (${bars})`);
  assert.match(await page.locator('body').innerText(), /Outages[\s\S]*north-2/, 'the outage is in the page');
  const pdf = await page.pdf({ format: 'A4' });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'it prints');
  assert.deepEqual(requests, [], 'a self-contained page fetches nothing');
});

test(
  'an archive on a full disk stops before acknowledging; once there is room it starts again and nothing is lost',
  { skip: SMALL_DISK_UNAVAILABLE },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-full-'));
    const agency = await agencyBroker();
    const disk = mountSmallDisk(16 * 1024);
    t.after(async () => {
      disk.dispose();
      await agency.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const config = join(dir, 'agency.yaml');
    await writeFile(config, `upstream:\n  url: ${agency.url}\n`);
    // most of the disk taken by something else
    await writeFile(join(disk.dir, 'filler'), Buffer.alloc(12 * 1024));
    const archive = join(disk.dir, 'archive');
    const first = await startArchiver(config, archive);
    t.after(() => first.stop());
    const gw = await mqtt.connectAsync(agency.url, { clientId: 'veilgate-gw-x', reconnectPeriod: 0 });
    t.after(() => gw.endAsync());
    // the gateway's records keep coming; the archive fills the disk and stops with the reason
    const sent = 40;
    for (let i = 0; i < sent; i++) await gw.publishAsync('veilgate/gw-x/door-1/door', envelope(i), { qos: 1 });
    assert.equal(await first.exited, 1, first.output());
    assert.match(first.output(), /ENOSPC.*broker keeps it/);
    const lines = async () => (await readFile(join(archive, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const before = (await lines()).length;
    assert.ok(before > 0 && before < sent, `some written before the disk filled (${before})`);
    // room again: the same archive starts, cuts the line the failed write left, and takes what the broker kept
    await rm(join(disk.dir, 'filler'));
    const again = await startArchiver(config, archive);
    t.after(() => again.stop());
    const all = Array.from({ length: sent }, (_, i) => `rec-${i}`);
    const missing = async () => {
      const ids = new Set((await lines()).map((l) => (JSON.parse(l) as { id: string }).id));
      return all.filter((id) => !ids.has(id));
    };
    await waitFor('every record in the archive', async () => (await missing()).length === 0).catch(async (e: Error) => {
      throw new Error(`${e.message}: missing ${(await missing()).join(' ')}; the archive said: ${again.output()}`);
    });
    assert.equal(await again.stop(), 0);
    const report = await runVeilgate(['fleet', 'report', '--archive', archive, '--format', 'json']);
    const r = JSON.parse(report.stdout) as FleetReport;
    assert.deepEqual(
      { records: r.records.total, unreadable: r.unreadableLines },
      { records: sent, unreadable: 0 },
      'each record once, and no damaged line',
    );
  },
);

test('the archive keeps each message on the disk before acknowledging it: killed before a flush, it loses nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-sync-'));
  const agency = await agencyBroker();
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const faults = await bundledScript(new URL('../../test/fault-fs.ts', import.meta.url).pathname, dir);
  const config = join(dir, 'agency.yaml');
  await writeFile(config, `upstream:\n  url: ${agency.url}\n`);
  const archive = join(dir, 'archive');
  // killed (SIGKILL) at its 4th fdatasync: the 4th record is written but not yet flushed to the disk
  const first = await startArchiver(config, archive, { faults, env: { VEILGATE_FAULT: 'datasync:4:kill' } });
  t.after(() => first.stop());
  const gw = await mqtt.connectAsync(agency.url, { clientId: 'veilgate-gw-x', reconnectPeriod: 0 });
  t.after(() => gw.endAsync());
  const sent = 10;
  for (let i = 0; i < sent; i++) await gw.publishAsync('veilgate/gw-x/door-1/door', envelope(i), { qos: 1 });
  await waitFor('the archive killed at its 4th flush', () => first.signal() !== null || first.exitCode() !== null);
  assert.equal(first.signal(), 'SIGKILL', `killed by the fault, not exited: ${first.output()}`);
  const ids = async () =>
    (await readFile(join(archive, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(await ids(), ['rec-0', 'rec-1', 'rec-2', 'rec-3']);
  const counts = join(dir, 'counts.json');
  const again = await startArchiver(config, archive, { faults, env: { VEILGATE_FAULT_COUNT: counts } });
  t.after(() => again.stop());
  await waitFor('every record in the archive', async () => (await ids()).includes(`rec-${sent - 1}`));
  assert.equal(await again.stop(), 0);
  // the 4th was never acknowledged, so the broker sent it again: at least once, and nothing lost
  const all = Array.from({ length: sent }, (_, i) => `rec-${i}`);
  assert.deepEqual(await ids(), [...all.slice(0, 4), ...all.slice(3)]);
  const synced = (JSON.parse(await readFile(counts, 'utf8')) as { datasync?: number }).datasync;
  assert.equal(synced, sent - 3, 'one flush to the disk for each message of the second run');
  const report = await runVeilgate(['fleet', 'report', '--archive', archive, '--format', 'json']);
  assert.equal((JSON.parse(report.stdout) as FleetReport).records.total, sent, 'the report counts each record once');
});
