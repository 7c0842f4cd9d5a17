import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { deviceTopic, isGatewayMessageTopic, type SensorEvent } from '../../../devices/index.ts';
import {
  connectDevice,
  disconnectDevice,
  loadFrames,
  misbehave,
  sampleEvent,
  startCameraSim,
} from '../../../simulators/index.ts';
import { configFromObject } from '../../foundation/config/index.ts';
import { startEmbeddedUpstream, type EmbeddedUpstream } from '../embedded-upstream.ts';
import { Gateway } from '../../gateway.ts';
import type { SimulatedIo } from '../../1-inputs/gpio/index.ts';
import type { Logger } from '../../foundation/log.ts';
import { REPO } from '../../foundation/repo.ts';
import { check, type ExpectationResult, type UpstreamRecord } from './expect.ts';
import { gpioSensorsOf, type Scenario, type ScenarioStep } from './schema.ts';

const PREFIX = 'veilgate';
const GATEWAY_ID = 'sim';

export interface ScenarioOptions {
  /** the scenario file's folder: paths in it are relative to this */
  baseDir: string;
  /** 2 runs the timeline twice as fast (frames and sensor times too; counting windows do not change) */
  speed: number;
  log: Logger;
  /** a line about each step and each record upstream, as they happen */
  print: (line: string) => void;
}

export interface ScenarioResult {
  expectations: ExpectationResult[];
  ok: boolean;
}

type Camera = Awaited<ReturnType<typeof startCameraSim>>;

/**
 * Runs a scenario: a real gateway with its simulated devices (MQTT cameras and sensors, simulated
 * GPIO pins, a misbehaving device) and an embedded agency broker; the timeline's steps at their
 * times; then the expectations, checked against the records the agency broker received.
 */
export async function runScenario(s: Scenario, o: ScenarioOptions): Promise<ScenarioResult> {
  const file = (p: string) => resolve(o.baseDir, p);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-scenario-'));
  const records: UpstreamRecord[] = [];
  const onRecord = (r: { topic: string; payload: Buffer }) => {
    if (isGatewayMessageTopic(r.topic)) return;
    const [, , deviceId = '', type = ''] = r.topic.split('/');
    try {
      const body = JSON.parse(r.payload.toString()) as { id: string; fields: Record<string, unknown> };
      records.push({ deviceId, type, id: body.id, fields: body.fields });
      o.print(`${clock()}  upstream  ${r.topic}  ${JSON.stringify(body.fields).slice(0, 160)}`);
    } catch {
      o.print(`${clock()}  upstream  ${r.topic}  <${r.payload.length} bytes, not JSON>`);
    }
  };
  let upstream: EmbeddedUpstream | null = await startEmbeddedUpstream(PREFIX, onRecord);
  const upstreamPort = Number(new URL(upstream.url).port);
  const cfg = configFromObject(
    {
      gatewayId: GATEWAY_ID,
      dataDir: join(dir, 'data'),
      policy: s.policy ? file(s.policy) : join(REPO, 'policies/default.yaml'),
      broker: { port: 0 },
      upstream: { url: upstream.url, topicPrefix: PREFIX, reconnectMinMs: 200, reconnectMaxMs: 1000 },
      http: { enabled: false },
      gpio: { io: 'simulated' },
      sensors: gpioSensorsOf(s),
    },
    dir,
  );
  const t0 = Date.now();
  const clock = () => `t=${(((Date.now() - t0) / 1000) * o.speed).toFixed(1).padStart(5)}`;
  const cameras = new Map<string, { sim: Camera; idle: Buffer[]; fps: number }>();
  const sensors = new Map<string, { client: MqttClient; type: SensorEvent['type']; n: number }>();
  const bad = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];
  let gw: Gateway | null = null;
  try {
    gw = await Gateway.start(cfg, o.log);
    const url = `mqtt://127.0.0.1:${gw.address.port}`;
    for (const d of s.devices) {
      if (d.kind === 'camera') {
        const idle = await loadFrames(file(d.source), { fps: d.fps });
        const sim = await startCameraSim({
          url,
          deviceId: d.id,
          secret: await gw.registry.add(d.id, 'camera'),
          frames: idle,
          fps: d.fps * o.speed,
        });
        cameras.set(d.id, { sim, idle, fps: d.fps });
      } else if (d.kind === 'sensor') {
        sensors.set(d.id, {
          client: await connectDevice({ url, deviceId: d.id, secret: await gw.registry.add(d.id, 'sensor') }),
          type: d.type,
          n: 0,
        });
      } else if (d.kind === 'misbehaving') {
        bad.set(d.id, await gw.registry.add(d.id, 'sensor'));
      }
    }
    o.print(
      `${clock()}  scenario "${s.name}": ${s.devices.length} devices, ${s.timeline.length} steps, ${s.duration} s${o.speed !== 1 ? ` at ${o.speed}x` : ''}`,
    );

    const act = async (step: ScenarioStep): Promise<void> => {
      if ('camera' in step) {
        const cam = cameras.get(step.camera)!;
        cam.sim.show(await loadFrames(file(step.show), { fps: cam.fps }));
        o.print(`${clock()}  ${step.camera} sees ${step.show}${step.for ? ` for ${step.for} s` : ''}`);
        if (step.for) timers.push(setTimeout(() => cam.sim.show(cam.idle), (step.for * 1000) / o.speed));
      } else if ('sensor' in step) {
        const sen = sensors.get(step.sensor)!;
        const event = { ...sampleEvent(sen.type, sen.n++), ...step.event, at: new Date().toISOString() };
        await sen.client.publishAsync(deviceTopic(step.sensor, 'events'), JSON.stringify(event), { qos: 1 });
        o.print(`${clock()}  ${step.sensor} sends ${JSON.stringify(event)}`);
      } else if ('gpio' in step) {
        const pin = s.devices.find((d) => d.id === step.gpio && d.kind === 'gpio') as { pin: number };
        (gw!.gpio!.io as SimulatedIo).set(pin.pin, step.level ?? undefined);
        o.print(
          `${clock()}  ${step.gpio} pin ${pin.pin} ${step.level === null ? 'released' : step.level ? 'high' : 'low'}`,
        );
      } else if ('uplink' in step) {
        if (step.uplink === 'down' && upstream) {
          await upstream.stop();
          upstream = null;
        } else if (step.uplink === 'up' && !upstream) {
          upstream = await startEmbeddedUpstream(PREFIX, onRecord, upstreamPort);
        }
        o.print(`${clock()}  uplink ${step.uplink}`);
      } else {
        const outcome = await misbehave(
          {
            url,
            deviceId: step.misbehave,
            secret: bad.get(step.misbehave)!,
            victimId: s.devices.find((d) => d.id !== step.misbehave)?.id ?? 'someone-else',
          },
          step.do,
        );
        o.print(`${clock()}  ${step.misbehave} ${step.do}: ${outcome}`);
      }
    };

    for (const step of [...s.timeline].sort((a, b) => a.at - b.at)) {
      await sleepUntil(t0 + (step.at * 1000) / o.speed);
      await act(step);
    }
    await sleepUntil(t0 + (s.duration * 1000) / o.speed);
    // what was decided reaches the agency broker before the checks (bounded: a scenario may end offline)
    const settleUntil = Date.now() + 15_000;
    while (
      upstream &&
      (gw.outbox.size > 0 || (gw.ingest.stats.processed === 0 && cameras.size > 0)) &&
      Date.now() < settleUntil
    )
      await sleep(100);
    await sleep(300);
    const facts = {
      records,
      refused: { ...gw.counters.refused },
      forwarded: gw.counters.decisions.forward,
      outboxSize: gw.outbox.size,
    };
    const expectations = s.expect.map((e) => check(e, facts));
    return { expectations, ok: expectations.every((e) => e.ok) };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const c of cameras.values()) await c.sim.stop();
    for (const [id, sen] of sensors) await disconnectDevice(sen.client, id);
    // whatever failed on the way (a missing source file, a port), nothing is left running
    await gw?.stop();
    await upstream?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));
