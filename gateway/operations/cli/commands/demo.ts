import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJpegFrames, startCameraSim, startSensorSim } from '../../../../simulators/index.ts';
import { isGatewayMessageTopic } from '../../../../devices/index.ts';
import { configFromObject } from '../../../foundation/config/index.ts';
import { startEmbeddedUpstream, type ReceivedRecord } from '../../embedded-upstream.ts';
import { Gateway } from '../../../gateway.ts';
import type { SimulatedIo } from '../../../1-inputs/gpio/index.ts';
import { createLogger } from '../../../foundation/log.ts';
import { REPO } from '../../../foundation/repo.ts';
import { stopWithin, untilSignal } from '../signals.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole system on this machine: gateway, simulated camera and sensors, and an upstream broker; prints what goes upstream',
    )
    .option('--fps <n>', 'frames per second of the simulated camera', '4')
    .option('--duration <seconds>', 'stop by itself after this long (default: run until Ctrl-C)')
    .option('--log-level <level>', 'gateway log level (logs go to stderr)', 'warn')
    .action(async (o: { fps: string; duration?: string; logLevel: string }) => {
      const signalled = untilSignal(); // from the start: a Ctrl-C during start-up still stops cleanly
      const dir = await mkdtemp(join(tmpdir(), 'veilgate-demo-'));
      const upstream = await startEmbeddedUpstream('veilgate', printRecord);
      const cfg = configFromObject(
        {
          gatewayId: 'demo',
          dataDir: join(dir, 'data'),
          policy: join(REPO, 'policies/default.yaml'),
          broker: { port: 0 },
          upstream: { url: upstream.url },
          http: { port: 0 },
          // a PIR sensor on the box's own pins, simulated: someone passes it every 10 s
          gpio: { io: 'simulated' },
          sensors: [{ id: 'hall-pir', kind: 'pir', pin: 17, options: { calibrationMs: 500 } }],
        },
        dir,
      );
      const gateway = await Gateway.start(cfg, createLogger(o.logLevel));
      const url = `mqtt://127.0.0.1:${gateway.address.port}`;
      const creds = async (id: string, kind: 'camera' | 'sensor') => ({
        url,
        deviceId: id,
        secret: await gateway.registry.add(id, kind),
      });
      console.log(
        [
          `veilgate demo: gateway broker on ${url}, upstream (the agency's broker, simulated) on ${upstream.url}`,
          `status page: http://127.0.0.1:${gateway.httpAddress?.port}/  (metrics: /metrics)`,
          `devices: cam-1 (camera, real photos at ${o.fps} fps), door-1 (door sensor), pir-1 (motion sensor), hall-pir (PIR on the box's GPIO pin 17, simulated)`,
          `policy: ${gateway.policy?.policy.id} v${gateway.policy?.policy.version}: counts every ${gateway.policy?.policy.counts.intervalSeconds} s, sensor events rounded to the minute`,
          'every line below is one record that reached the upstream broker; Ctrl-C stops.',
        ].join('\n'),
      );
      const sims = [
        await startCameraSim({
          ...(await creds('cam-1', 'camera')),
          frames: await loadJpegFrames(join(REPO, 'fixtures/photos')),
          fps: Number(o.fps),
        }),
        await startSensorSim({ ...(await creds('door-1', 'sensor')), type: 'door', every: 7 }),
        await startSensorSim({ ...(await creds('pir-1', 'sensor')), type: 'motion', every: 3 }),
      ];
      const pins = gateway.gpio!.io as SimulatedIo;
      let passing = 0;
      const walker = setInterval(() => pins.set(17, (++passing % 2) as 0 | 1), 5000);
      const stopAfter = o.duration
        ? new Promise((r) => setTimeout(r, Number(o.duration) * 1000).unref())
        : new Promise(() => {});
      await Promise.race([signalled, stopAfter]);
      await stopWithin(20_000, async () => {
        clearInterval(walker);
        for (const s of sims) await s.stop();
        await gateway.stop();
        await upstream.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const { processed, dropped } = gateway.ingest.stats;
      console.log(
        `stopped: ${processed} frames redacted and described on the gateway, ${Object.values(dropped).reduce((a, b) => a + b, 0)} dropped, ${gateway.uplink.stats.delivered} records delivered upstream`,
      );
    });
}

function printRecord(r: ReceivedRecord): void {
  const time = new Date().toISOString().slice(11, 19);
  if (isGatewayMessageTopic(r.topic)) {
    console.log(`${time}  ${r.topic}  ${r.payload.toString()}`);
    return;
  }
  try {
    const rec = JSON.parse(r.payload.toString()) as { fields: unknown; policy: { id: string; version: number } };
    console.log(`${time}  ${r.topic}  ${JSON.stringify(rec.fields)}  (policy ${rec.policy.id} v${rec.policy.version})`);
  } catch {
    console.log(`${time}  ${r.topic}  <${r.payload.length} bytes, not JSON>`);
  }
}
