import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { MOSQUITTO_MISSING, startMosquitto } from '../gateway/test/upstream-brokers.ts';
import { median, percentile } from './percentile.ts';

const SERVER = new URL('./broker-server.ts', import.meta.url).pathname;
const SUBSCRIBER = new URL('./broker-subscriber.ts', import.meta.url).pathname;
const PAYLOAD = Buffer.alloc(100, 0x61);

interface Target {
  name: string;
  url: string;
  /** the broker's process, to count the CPU time it spends */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** CPU seconds (user + system, every thread) a process has used, from /proc; 10 ms resolution. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function inProcessOf(kind: 'gateway' | 'aedes'): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${kind} broker exited with ${code}`)));
  });
  return {
    name: kind === 'gateway' ? 'veilgate broker' : 'bare aedes',
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const connect = (url: string, id: string) =>
  mqtt.connectAsync(url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 });

/** A subscriber in a process of its own (bench/broker-subscriber.ts), ready to count messages. */
async function subscriberProcess(url: string, qos: 0 | 1, clientId: string, topic: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SUBSCRIBER, url, String(qos), clientId, topic], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const next = async (): Promise<string> => {
    const line = await Promise.race([lines.next(), exited.then((code) => ({ done: true, value: `exit ${code}` }))]);
    if (line.done) throw new Error(`the bench subscriber ended: ${line.value}`);
    return line.value as string;
  };
  if ((await next()) !== 'ready') throw new Error('the bench subscriber did not subscribe');
  return {
    /** counts from zero again, towards `n` */
    async arm(n: number): Promise<void> {
      child.stdin!.write(`${n}\n`);
      if ((await next()) !== 'armed') throw new Error('the bench subscriber did not arm');
    },
    /** the wall-clock time (ms) at which the subscriber got the last of the messages it was armed for */
    done: () => next().then((l) => Number(/^done (\S+)$/.exec(l)?.[1] ?? NaN)),
    async end(): Promise<void> {
      child.stdin!.end('end\n');
      await exited;
    },
  };
}

/**
 * Messages per second from `publishers` clients to one subscriber on a wildcard, all sent as fast
 * as the client allows, and the broker's CPU time per message in microseconds. The publishers share
 * this process; the subscriber has its own, as a consumer of a real broker would.
 */
async function throughput(
  { url, pid }: Target,
  publishers: number,
  qos: 0 | 1,
  total: number,
): Promise<[rate: number, cpuMicros: number]> {
  const sub = await subscriberProcess(url, qos, `sub-${qos}-${publishers}`, 'bench/+/t');
  const pubs: MqttClient[] = [];
  for (let i = 0; i < publishers; i++) pubs.push(await connect(url, `pub-${qos}-${publishers}-${i}`));
  await sub.arm(total);
  const all = sub.done();
  const per = Math.ceil(total / publishers);
  const t0 = performance.timeOrigin + performance.now();
  const cpu0 = cpuSeconds(pid);
  await Promise.all(
    pubs.map(async (p, i) => {
      const sends: Promise<unknown>[] = [];
      for (let k = 0; k < per && i * per + k < total; k++) {
        if (qos === 0) p.publish(`bench/${i}/t`, PAYLOAD, { qos: 0 });
        else sends.push(p.publishAsync(`bench/${i}/t`, PAYLOAD, { qos: 1 }));
        if (k % 500 === 499) await new Promise((r) => setImmediate(r)); // let the sockets drain
      }
      await Promise.all(sends);
    }),
  );
  // unref: a pending timer kept the bench alive for two minutes after its last run
  const last = await Promise.race([
    all,
    new Promise<never>((_, j) =>
      setTimeout(() => j(new Error(`not all ${total} messages arrived in 120 s`)), 120_000).unref(),
    ),
  ]);
  const rate = total / ((last - t0) / 1000);
  const cpuMicros = ((cpuSeconds(pid) - cpu0) / total) * 1e6;
  await Promise.all([...pubs.map((c) => c.endAsync(true)), sub.end()]);
  return [rate, cpuMicros];
}

/** Publish-to-delivery latency at a fixed rate, QoS 1. */
async function latency(url: string, perSecond: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const sub = await connect(url, 'lat-sub');
  const waits: number[] = [];
  sub.on('message', (_t, payload) => waits.push(performance.now() - payload.readDoubleLE(0)));
  await sub.subscribeAsync('bench/lat/t', { qos: 1 });
  const pub = await connect(url, 'lat-pub');
  const total = perSecond * seconds;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = Buffer.alloc(100);
    b.writeDoubleLE(performance.now(), 0);
    pub.publish('bench/lat/t', b, { qos: 1 });
  }
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all([pub.endAsync(true), sub.endAsync(true)]);
  waits.sort((a, b) => a - b);
  return { p50: percentile(waits, 50), p99: percentile(waits, 99) };
}

const SCENARIOS: { label: string; publishers: number; qos: 0 | 1; total: number }[] = [
  { label: '1->1 q0', publishers: 1, qos: 0, total: 100_000 },
  { label: '1->1 q1', publishers: 1, qos: 1, total: 50_000 },
  { label: '50->1 q0', publishers: 50, qos: 0, total: 100_000 },
  { label: '50->1 q1', publishers: 50, qos: 1, total: 50_000 },
];

export async function benchBroker(): Promise<void> {
  console.log(
    '\n## broker: messages per second (100-byte payloads, loopback), and publish-to-delivery latency at 1,000 msg/s QoS 1',
  );
  console.log(
    'each broker in its own process; the publishers share one mqtt.js process, the subscriber has its own; the same for all brokers; medians of 3 interleaved rounds',
  );
  const targets: Target[] = [await inProcessOf('gateway'), await inProcessOf('aedes')];
  if (MOSQUITTO_MISSING) console.log(`Mosquitto skipped: ${MOSQUITTO_MISSING}`);
  else {
    const m = await startMosquitto();
    targets.push({ name: 'mosquitto', url: m.url, pid: m.pid?.(), stop: () => m.dispose() });
  }
  // three rounds, brokers interleaved, medians: this machine is shared and one run can be off by 40%
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
  // per round: each scenario's rate, then p50 and p99, then each scenario's CPU per message
  const samples = new Map<string, number[][]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // the brokers take turns at each scenario, so that a burst of load from elsewhere on the machine
    // falls on all of them rather than on one broker's whole round
    const runs = new Map<string, [number, number][]>(targets.map((t) => [t.name, []]));
    for (const sc of SCENARIOS)
      for (const t of targets) runs.get(t.name)!.push(await throughput(t, sc.publishers, sc.qos, sc.total));
    for (const t of targets) {
      const lat = await latency(t.url, 1000, 2);
      const r = runs.get(t.name)!;
      samples.get(t.name)!.push([...r.map((x) => x[0]), lat.p50, lat.p99, ...r.map((x) => x[1])]);
    }
  }
  for (const t of targets) await t.stop();
  const rows = targets.map((t) => ({
    name: t.name,
    r: samples.get(t.name)![0]!.map((_, i) => median(samples.get(t.name)!.map((s) => s[i]!))),
  }));
  const n = SCENARIOS.length;
  const fmt = (x: number) => Math.round(x).toLocaleString('en').padStart(9);
  const header = SCENARIOS.map((sc) => sc.label.padStart(9)).join(' ');
  console.log(`${'msg/s'.padEnd(16)} ${header}   p50 ms  p99 ms`);
  for (const { name, r } of rows)
    console.log(
      `${name.padEnd(16)} ${r.slice(0, n).map(fmt).join(' ')}   ${r[n]!.toFixed(2).padStart(6)}  ${r[n + 1]!.toFixed(2).padStart(6)}`,
    );
  const gw = rows.find((x) => x.name === 'veilgate broker')!.r;
  for (const other of rows.filter((x) => x.name !== 'veilgate broker')) {
    console.log(
      `veilgate / ${other.name}: ${other.r
        .slice(0, n)
        .map((v, i) => `${(gw[i]! / v).toFixed(2)}x`)
        .join('  ')}   (target: >= 0.90 of bare aedes, >= 1.00 of mosquitto)`,
    );
  }
  // the load generator and the broker share two cores, so a broker that needs less CPU per message
  // also leaves more to the clients: this is the cost that decides the rates above
  console.log(`${'broker CPU µs/msg'.padEnd(16)} ${header}`);
  for (const { name, r } of rows)
    console.log(
      `${name.padEnd(16)} ${r
        .slice(n + 2)
        .map((x) => x.toFixed(1).padStart(9))
        .join(' ')}`,
    );
}
