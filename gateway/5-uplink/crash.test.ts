import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAudit } from '../4-records/audit/index.ts';
import { DeviceRegistry } from '../foundation/registry/index.ts';
import { waitFor } from '../test/harness.ts';
import { tallyAudit } from '../test/audit-tally.ts';
import { isGatewayMessageTopic } from '../../devices/index.ts';
import { checkDelivery, SEQUENCE_POLICY, startSequencedDevices } from '../test/sequenced-events.ts';
import { agencySubscriber, freePort, MOSQUITTO_MISSING, startMosquitto } from '../test/upstream-brokers.ts';

const BIN = new URL('../operations/cli/dev.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

async function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const c = connect(port, '127.0.0.1', () => {
      c.destroy();
      r(true);
    });
    c.on('error', () => r(false));
  });
}

test(
  'kill -9 at random points during a QoS 1 stream, with an upstream outage too: every acknowledged record arrives once, in order',
  { skip: MOSQUITTO_MISSING ?? false, timeout: 120_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'veilgate-crash-'));
    const upstream = await startMosquitto();
    const received: Array<{ topic: string; payload: Buffer }> = [];
    const sub = await agencySubscriber(upstream.url, 'veilgate/#', (topic, payload) =>
      received.push({ topic, payload }),
    );
    t.after(async () => {
      await sub.endAsync(true);
      await upstream.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    const [brokerPort, metricsPort] = [await freePort(), await freePort()];
    const dataDir = join(dir, 'data');
    await writeFile(join(dir, 'policy.yaml'), SEQUENCE_POLICY);
    await writeFile(
      join(dir, 'gateway.yaml'),
      [
        'gatewayId: gw-crash',
        'dataDir: ./data',
        'policy: ./policy.yaml',
        `broker: { port: ${brokerPort} }`,
        `http: { port: ${metricsPort} }`,
        `upstream: { url: "${upstream.url}", reconnectMinMs: 200, reconnectMaxMs: 1000 }`,
        '',
      ].join('\n'),
    );
    const registry = await DeviceRegistry.open(dataDir);
    const creds = [];
    for (const id of ['door-a', 'door-b', 'door-c'])
      creds.push({ deviceId: id, secret: await registry.add(id, 'sensor') });

    let gw: ChildProcess | null = null;
    let output = '';
    const startGateway = async () => {
      const p = spawn(process.execPath, [BIN, 'start', '--config', join(dir, 'gateway.yaml'), '--log-level', 'warn'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      p.stderr!.on('data', (d) => (output += d));
      gw = p;
      await waitFor('the gateway to listen', () => listening(brokerPort), 30_000);
    };
    t.after(() => gw?.kill('SIGKILL'));
    await startGateway();
    const devices = await startSequencedDevices(`mqtt://127.0.0.1:${brokerPort}`, creds, 4);

    const onlines = () =>
      received.filter((m) => m.topic === 'veilgate/gw-crash/status' && m.payload.toString() === 'online').length;
    const kills = 4;
    const ackedCount = () => [...devices.acked.values()].reduce((n, s) => n + s.size, 0);
    for (let i = 0; i < kills; i++) {
      // each run acknowledges a share of the stream before its kill, however slow the machine,
      // then dies at a random point after that
      const before = ackedCount();
      await waitFor('the devices to be acknowledged again', () => ackedCount() >= before + 150, 30_000);
      await sleep(between(0, 800));
      if (i === 1) await upstream.stop(); // and the agency's broker goes away while the gateway crashes
      const exited = new Promise((r) => gw!.once('exit', r));
      gw!.kill('SIGKILL');
      await exited;
      await sleep(between(100, 600));
      const onlineBefore = onlines();
      await startGateway();
      if (i === 1) {
        await sleep(800);
        await upstream.start();
      }
      // each start says online before the next kill: the agency's subscriber, back after the outage,
      // must have seen it, or the count below would race the kill's will
      await waitFor('the restarted gateway online upstream', () => onlines() > onlineBefore, 30_000);
    }
    await sleep(800);
    await devices.stop();

    const metric = async (name: string) => {
      const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return Number(
        body
          .split('\n')
          .find((l) => l.startsWith(`${name} `))
          ?.split(' ')[1],
      );
    };
    await waitFor(
      'the outbox to drain',
      async () => (await metric('veilgate_outbox_depth')) === 0 && (await metric('veilgate_upstream_connected')) === 1,
      30_000,
    );
    await sleep(500);
    const stopped = new Promise((r) => gw!.once('exit', (code) => r(code)));
    gw!.kill('SIGTERM');
    assert.equal(await stopped, 0, output);

    const statuses = received.filter((m) => m.topic === 'veilgate/gw-crash/status').map((m) => m.payload.toString());
    assert.ok(statuses.includes('offline'), 'the will told the agency each time the gateway died');
    assert.equal(statuses.at(-1), 'offline', 'and a clean stop says offline too');
    assert.ok(statuses.filter((s) => s === 'online').length >= kills + 1, 'online after every start');
    // the audit chain survived every kill, and its head as the agency last saw it is the chain's real head
    const chain = await verifyAudit(join(dataDir, 'audit'));
    assert.ok(chain.ok, JSON.stringify(chain));
    const heads = received
      .filter((m) => m.topic === 'veilgate/gw-crash/audit-head')
      .map((m) => JSON.parse(m.payload.toString()) as { seq: number; hash: string });
    assert.deepEqual(
      { seq: heads.at(-1)?.seq, hash: heads.at(-1)?.hash },
      chain.head,
      'the last published head is the chain head after the clean stop',
    );
    // every record that left is in the audit log: by its own entry, a window's ids, or recovered from the outbox at a
    // restart
    const audited = new Set<string>();
    for (const e of (await tallyAudit(join(dataDir, 'audit'))).entries) {
      if (e.event.type === 'decision' && e.event.recordId) audited.add(e.event.recordId);
      if (e.event.type === 'window')
        for (const d of e.event.decisions ?? []) for (const id of d.recordIds ?? []) audited.add(id);
    }
    const left = received
      .filter((m) => !isGatewayMessageTopic(m.topic))
      .map((m) => (JSON.parse(m.payload.toString()) as { id: string }).id);
    assert.deepEqual(
      left.filter((id) => !audited.has(id)),
      [],
      'forwarded without an audit entry',
    );
    const r = checkDelivery(devices.acked, received);
    assert.ok(r.acked > 500, `${r.acked} events acknowledged`);
    assert.doesNotMatch(output, /Unhandled|TypeError|RangeError/);
    t.diagnostic(
      `${kills} kill -9s: ${r.acked} acknowledged, ${r.records} delivered, ${r.duplicates} recognised duplicates`,
    );
  },
);
