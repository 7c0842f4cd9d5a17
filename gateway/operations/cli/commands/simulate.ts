import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { SENSOR_EVENT_TYPES, type SensorEventType } from '../../../../devices/index.ts';
import { formatSourceError } from '../../../../policies/index.ts';
import {
  loadFrames,
  misbehave,
  MISDEEDS,
  rtspSimMissing,
  startCameraSim,
  startRtspCameraSim,
  startSensorSim,
  type Misdeed,
} from '../../../../simulators/index.ts';
import { createLogger } from '../../../foundation/log.ts';
import { loadScenario, runScenario } from '../../scenario/index.ts';
import { untilSignal } from '../signals.ts';

const DEVICES = ['camera', 'sensor', 'misbehave', 'rtsp'] as const;

interface Options {
  expect?: boolean;
  speed: string;
  quiet?: boolean;
  logLevel: string;
  url?: string;
  id?: string;
  secret?: string;
  source?: string;
  fps: string;
  port?: string;
  type: string;
  do?: string;
  victim: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .argument('<what>', `a scenario file (YAML), or one device against a running gateway: ${DEVICES.join(', ')}`)
    .description(
      'run a scenario (a real gateway, simulated devices, an embedded agency broker), or one simulated device',
    )
    .option('--expect', 'scenario: check its expectations; exit 0 when all hold, 1 when one does not')
    .option('--speed <factor>', 'scenario: run the timeline this many times faster', '1')
    .option('--quiet', 'scenario: print only the expectations')
    .option(
      '--log-level <level>',
      'scenario: gateway log level (stderr; warn shows the uplink outages it causes)',
      'error',
    )
    .option('--url <url>', 'device: the gateway broker, e.g. mqtt://127.0.0.1:1883')
    .option('--id <id>', 'device: its id (as provisioned with `veilgate devices add`)')
    .option('--secret <secret>', 'device: its secret (or VEILGATE_DEVICE_SECRET)')
    .option('--source <path>', 'camera, rtsp: an image, image folder or video clip')
    .option('--fps <n>', 'camera, rtsp: frames per second; sensor: events per second', '2')
    .option('--port <n>', 'rtsp: the port to serve on, on 127.0.0.1 (a free one when not given)')
    .option('--type <type>', `sensor: ${SENSOR_EVENT_TYPES.join(', ')}`, 'door')
    .option('--do <misdeed>', `misbehave: ${MISDEEDS.join(', ')}`)
    .option('--victim <id>', 'misbehave: the device whose topic foreign-topic publishes on', 'someone-else')
    .addHelpText(
      'after',
      '\nExamples:\n  veilgate simulate simulators/scenarios/street.yaml --expect\n  veilgate simulate camera --url mqtt://127.0.0.1:1883 --id cam-1 --secret S --source /usr/share/doc/opencv-doc/examples/data/vtest.avi --fps 5\n  veilgate simulate rtsp --source fixtures/photos --port 8554',
    )
    .action(async (what: string, o: Options) => {
      process.exitCode = (DEVICES as readonly string[]).includes(what)
        ? await device(what as (typeof DEVICES)[number], o)
        : await scenario(what, o);
    });
}

async function scenario(file: string, o: Options): Promise<number> {
  const speed = Number(o.speed);
  if (!(speed > 0 && speed <= 100)) return usage('--speed is a factor above 0, at most 100');
  const loaded = await loadScenario(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatSourceError(e));
    return 2;
  }
  let result;
  try {
    result = await runScenario(loaded.scenario, {
      baseDir: dirname(resolve(file)),
      speed,
      log: createLogger(o.logLevel),
      print: o.quiet ? () => {} : (line) => console.log(line),
    });
  } catch (e) {
    // a source that cannot be read, a clip ffmpeg cannot decode: the scenario could not run at all
    return usage(`${file}: ${(e as Error).message}`);
  }
  if (!o.expect) return 0;
  console.log(`\nexpectations of "${loaded.scenario.name}":`);
  for (const e of result.expectations) console.log(`  ${e.ok ? 'ok  ' : 'FAIL'}  ${e.what}: ${e.found}`);
  const failed = result.expectations.filter((e) => !e.ok).length;
  console.log(
    failed
      ? `${failed} of ${result.expectations.length} expectations failed`
      : `all ${result.expectations.length} expectations hold`,
  );
  return failed ? 1 : 0;
}

/** One simulated device against a gateway that is already running, until Ctrl-C. */
async function device(kind: (typeof DEVICES)[number], o: Options): Promise<number> {
  const fps = Number(o.fps);
  if (!(fps > 0 && fps <= 30)) return usage('--fps is between 0 and 30');
  if (kind === 'rtsp') {
    if (!o.source) return usage('rtsp needs --source');
    const missing = await rtspSimMissing();
    if (missing) return usage(`the RTSP camera cannot run here: ${missing}`);
    const port = o.port === undefined ? undefined : Number(o.port);
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
      return usage('--port is a port number, 1-65535');
    const cam = await startRtspCameraSim({
      frames: await loadFrames(o.source, { fps }),
      fps,
      ...(port !== undefined ? { port } : {}),
    });
    console.log(`RTSP camera serving ${o.source} at ${cam.url}; Ctrl-C stops`);
    await untilSignal();
    await cam.stop();
    return 0;
  }
  const secret = o.secret ?? process.env.VEILGATE_DEVICE_SECRET;
  if (!o.url || !o.id || !secret) return usage(`${kind} needs --url, --id and --secret (or VEILGATE_DEVICE_SECRET)`);
  const creds = { url: o.url, deviceId: o.id, secret };
  if (kind === 'misbehave') {
    if (!MISDEEDS.includes(o.do as Misdeed)) return usage(`--do is one of ${MISDEEDS.join(', ')}`);
    const outcome = await misbehave({ ...creds, victimId: o.victim }, o.do as Misdeed);
    console.log(`${o.do}: ${outcome}`);
    if (outcome === 'disconnected' && (o.do === 'malformed-json' || o.do === 'invalid-event')) {
      console.error(
        `the broker cut ${o.id} off for publishing a sensor event: ${o.do} is a sensor's misdeed, and ${o.id} is not a sensor (veilgate devices list)`,
      );
      return 1;
    }
    return 0;
  }
  if (kind === 'sensor' && !SENSOR_EVENT_TYPES.includes(o.type as SensorEventType))
    return usage(`--type is one of ${SENSOR_EVENT_TYPES.join(', ')}`);
  if (kind === 'camera' && !o.source) return usage('camera needs --source');
  const sim =
    kind === 'camera'
      ? await startCameraSim({ ...creds, frames: await loadFrames(o.source!, { fps }), fps })
      : await startSensorSim({ ...creds, type: o.type as SensorEventType, every: 1 / fps });
  console.log(`${kind} ${o.id} publishing to ${o.url}; Ctrl-C stops`);
  await untilSignal();
  await sim.stop();
  console.log(`sent ${sim.sent()}`);
  return 0;
}

function usage(message: string): number {
  console.error(`veilgate simulate: ${message}`);
  return 2;
}
