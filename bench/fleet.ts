// `npm run bench fleet`: a fleet of gateways (sensors only: the pipeline is not what is measured)
// against a real 3-node NATS cluster, the agency's broker; then the fleet view over 1,000 gateways.
// FLEET_GATEWAYS (100), FLEET_SENSORS (20), FLEET_EVERY_MS (10000), FLEET_PHASE_S (30) change the run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, UPSTREAM_SCHEMA_VERSION, type GatewayHealth } from '../devices/index.ts';
import { connectDevice } from '../simulators/index.ts';
import { HeadKey } from '../gateway/4-records/audit/index.ts';
import { InlineRunner } from '../gateway/2-pipeline/runner.ts';
import { collectFleet, fleetSummary, fleetView, renderFleetText } from '../gateway/operations/fleet/index.ts';
import { startHarness, waitFor, YESTERDAY, type Harness } from '../gateway/test/harness.ts';
import { NATS_MISSING, startNatsCluster, type NatsNode } from '../gateway/test/nats-cluster.ts';
import { SEQUENCE_POLICY } from '../gateway/test/sequenced-events.ts';
import { MOSQUITTO_MISSING, startMosquitto } from '../gateway/test/upstream-brokers.ts';
import { percentile } from './percentile.ts';

const GATEWAYS = Number(process.env.FLEET_GATEWAYS ?? 100);
const SENSORS = Number(process.env.FLEET_SENSORS ?? 20);
const EVERY_MS = Number(process.env.FLEET_EVERY_MS ?? 10_000);
const PHASE_S = Number(process.env.FLEET_PHASE_S ?? 30);
const VIEW_GATEWAYS = 1000;
const CLI = new URL('../gateway/operations/cli/dev.js', import.meta.url).pathname;
const BIN = new URL('../gateway/operations/cli/bin.js', import.meta.url).pathname;
const BUNDLE = new URL('../dist/veilgate.js', import.meta.url).pathname;

/** Latencies (ms) of the records that arrived in a window, and how many. */
class Window {
  readonly latencies: number[] = [];
  constructor(readonly name: string) {}
  line(seconds: number): string {
    const s = [...this.latencies].sort((a, b) => a - b);
    return `${this.name.padEnd(28)} ${(s.length / seconds).toFixed(1).padStart(8)} records/s   p50 ${percentile(s, 50).toFixed(0).padStart(6)} ms   p99 ${percentile(s, 99).toFixed(0).padStart(6)} ms   (${s.length} records)`;
  }
}

async function throughput(nodes: NatsNode[], dir: string): Promise<void> {
  const [n1, n2, n3] = nodes as [NatsNode, NatsNode, NatsNode];
  const sentAt = new Map<string, number>();
  const acked = new Set<string>();
  const arrived = new Set<string>();
  let window = new Window('warm-up');
  const agency = await mqtt.connectAsync(n3.mqttUrl, { clientId: 'agency', clean: false, reconnectPeriod: 500 });
  agency.on('message', (topic, payload) => {
    if (!topic.endsWith('/door')) return;
    const r = JSON.parse(payload.toString()) as { gatewayId: string; deviceId: string; fields: { at: string } };
    const key = `${r.gatewayId}/${r.deviceId}#${Date.parse(r.fields.at) - YESTERDAY}`;
    if (arrived.has(key)) return; // a duplicate, recognised by its event
    arrived.add(key);
    const t0 = sentAt.get(key);
    if (t0 !== undefined) window.latencies.push(Date.now() - t0);
  });
  await agency.subscribeAsync('veilgate/+/+/door', { qos: 1 });
  await writeFile(join(dir, 'sequence.yaml'), SEQUENCE_POLICY);

  const started = Date.now();
  const gateways: Harness[] = [];
  const devices: MqttClient[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    // each gateway starts on a different node, as a real fleet's would
    const order = [n1, n2, n3].map((_, i) => [n1, n2, n3][(g + i) % 3]!.mqttUrl);
    const h = await startHarness({
      gatewayId: `gw-${String(g).padStart(4, '0')}`,
      frames: new InlineRunner(null),
      policyFile: join(dir, 'sequence.yaml'),
      upstreamUrls: order,
      upstream: { ackTimeoutMs: 5_000 },
      http: { enabled: false },
    });
    gateways.push(h);
    for (let s = 0; s < SENSORS; s++) {
      const id = `door-${s}`;
      const secret = await h.gateway.registry.add(id, 'sensor');
      devices.push(await connectDevice({ url: h.brokerUrl, deviceId: id, secret }));
    }
  }
  const startS = (Date.now() - started) / 1000;
  await waitFor('every gateway connected upstream', () => gateways.every((h) => h.gateway.uplink.connected), 120_000);
  console.log(`${GATEWAYS} gateways, ${GATEWAYS * SENSORS} sensors started in ${startS.toFixed(0)} s`);

  // each sensor sends an event every EVERY_MS, spread evenly
  let running = true;
  const loops = devices.map(async (client, i) => {
    const gw = gateways[Math.floor(i / SENSORS)]!.gateway.cfg.gatewayId;
    const dev = `door-${i % SENSORS}`;
    await new Promise((r) => setTimeout(r, (i / devices.length) * EVERY_MS));
    for (let seq = 0; running; seq++) {
      const key = `${gw}/${dev}#${seq}`;
      sentAt.set(key, Date.now());
      const payload = JSON.stringify({
        type: 'door',
        at: new Date(YESTERDAY + seq).toISOString(),
        open: seq % 2 === 0,
      });
      client.publishAsync(deviceTopic(dev, 'events'), payload, { qos: 1 }).then(
        () => acked.add(key),
        () => {},
      );
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  });
  const phase = async (name: string) => {
    window = new Window(name);
    await new Promise((r) => setTimeout(r, PHASE_S * 1000));
    return window;
  };
  await new Promise((r) => setTimeout(r, EVERY_MS + 2000));
  const steady = await phase('steady');
  n1.kill();
  const killed = await phase(`node n1 killed (0-${PHASE_S} s)`);
  const after = await phase(`after (${PHASE_S}-${2 * PHASE_S} s)`);
  running = false;
  await Promise.all(loops);
  const ackedCount = acked.size;
  await waitFor('every acknowledged event at the agency', () => [...acked].every((k) => arrived.has(k)), 120_000).catch(
    () => {},
  );
  const lost = [...acked].filter((k) => !arrived.has(k)).length;
  const offered = (GATEWAYS * SENSORS * 1000) / EVERY_MS;
  console.log(`offered: ${offered.toFixed(1)} events/s`);
  for (const w of [steady, killed, after]) console.log(w.line(PHASE_S));
  console.log(
    `acknowledged to devices: ${ackedCount}; at the agency: ${ackedCount - lost}; lost: ${lost}` +
      `; reconnects ${gateways.reduce((n, h) => n + h.gateway.uplink.stats.reconnects, 0)}`,
  );
  await Promise.all(devices.map((d) => d.endAsync(true)));
  for (const h of gateways) await h.stop();
  await agency.endAsync(true);
}

/** 1,000 gateways' retained status, health, policy status, audit head and key, as the agency's broker holds them. */
async function simulatedFleet(url: string, dir: string): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId: 'fleet-sim', reconnectPeriod: 0 });
  // a key of its own for each, as real gateways have
  const now = new Date().toISOString();
  const policy = { id: 'city', version: 4, sha256: 'c'.repeat(64) };
  const pubs: Promise<unknown>[] = [];
  for (let g = 0; g < VIEW_GATEWAYS; g++) {
    const id = `sim-${String(g).padStart(4, '0')}`;
    const key = await HeadKey.openOrCreate(join(dir, 'sim-keys', id));
    const health: GatewayHealth = {
      schemaVersion: UPSTREAM_SCHEMA_VERSION,
      ...{ gatewayId: id, at: now, version: '0.1.0', startedAt: now, everySeconds: 60 },
      outbox: { depth: g % 7, bytes: 0, oldestAt: g % 7 ? now : null, dropped: 0 },
      policy: { ...policy, source: 'fleet' },
      lastRecordAt: now,
      devices: { online: 20, known: 20 },
      warnings: g % 50 === 0 ? ['The agency broker is not reachable: approved records wait in the outbox.'] : [],
    };
    const retain = (what: string, payload: string) =>
      pubs.push(c.publishAsync(`veilgate/${id}/${what}`, payload, { qos: 1, retain: true }));
    retain('status', g % 10 === 9 ? 'offline' : 'online');
    retain('health', JSON.stringify(health));
    retain('audit-key', key.publicPem);
    retain('audit-head', JSON.stringify(key.sign(id, { seq: 1000 + g, hash: 'a'.repeat(64) }, new Date())));
  }
  await Promise.all(pubs);
  await c.endAsync();
}

async function fleetViewTiming(url: string, where: string, dir: string): Promise<void> {
  await simulatedFleet(url, dir);
  const t0 = performance.now();
  const c = await mqtt.connectAsync(url, { clientId: 'fleet-view', reconnectPeriod: 0 });
  const fleet = await collectFleet(c, 'veilgate', { quietMs: 500, maxMs: 30_000 });
  const read = performance.now() - t0;
  const rows = fleetView(fleet, { now: Date.now() });
  const text = renderFleetText(rows, fleetSummary(rows));
  const inProcess = performance.now() - t0;
  await c.endAsync();
  const sims = rows.filter((r) => r.gatewayId.startsWith('sim-')).length;
  await writeFile(join(dir, 'agency.yaml'), `upstream:\n  url: ${url}\n`);
  // the command as a user runs it: from the sources, and from the bundle (npm run build) when there is one
  const command = async (bin: string) => {
    const t1 = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      'fleet',
      'status',
      '--config',
      join(dir, 'agency.yaml'),
    ]);
    return { s: (performance.now() - t1) / 1000, complete: stdout.includes('sim-0999') };
  };
  const sources = await command(CLI);
  const bundle = existsSync(BUNDLE) ? await command(BIN) : null;
  console.log(
    `fleet view of ${sims} gateways on ${where}: ${(inProcess / 1000).toFixed(2)} s (target 1 s: ${(inProcess / 1000).toFixed(2)}x): ` +
      `reading what it retains ${(read / 1000).toFixed(2)} s, checking ${sims} signed heads and rendering ${((inProcess - read) / 1000).toFixed(2)} s; ` +
      `the whole command from the sources ${sources.s.toFixed(2)} s, ` +
      `${bundle ? `from the bundle ${bundle.s.toFixed(2)} s` : 'no bundle (npm run build) to time'}; ${text.split('\n').length} lines, ` +
      `${sources.complete && (bundle?.complete ?? true) ? 'the last gateway listed' : 'THE LAST GATEWAY MISSING'}`,
  );
}

export async function benchFleet(): Promise<void> {
  console.log('\n== fleet: gateways with sensors against a 3-node NATS cluster; the fleet view over 1,000 gateways');
  if (NATS_MISSING) {
    console.log(`skipped: ${NATS_MISSING}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-fleet-'));
  // the view on two brokers side by side: how fast each hands out what it retains differs
  if (!MOSQUITTO_MISSING) {
    const mosquitto = await startMosquitto();
    try {
      await fleetViewTiming(mosquitto.url, 'Mosquitto', dir);
    } finally {
      await mosquitto.dispose();
    }
  }
  const cluster = await startNatsCluster();
  try {
    await fleetViewTiming(cluster.nodes[2]!.mqttUrl, 'a NATS node', dir);
    await throughput(cluster.nodes, dir);
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
