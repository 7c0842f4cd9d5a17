import { z } from 'zod';
import { DeviceId, SENSOR_EVENT_TYPES } from '../../../devices/index.ts';
import { MISDEEDS } from '../../../simulators/index.ts';
import { GpioSensorConfig } from '../../foundation/config/schema.ts';

const at = z.number().min(0).max(86_400).describe('seconds from the start of the scenario');
const path = z.string().min(1).describe('relative to the scenario file');

const Camera = z.strictObject({
  id: DeviceId,
  kind: z.literal('camera').describe('an MQTT camera publishing JPEG frames'),
  source: path.describe('what it sees when nothing happens: an image, an image folder or a video clip'),
  fps: z.number().min(0.1).max(30).default(2),
});
const Sensor = z.strictObject({
  id: DeviceId,
  kind: z.literal('sensor').describe('an MQTT sensor'),
  type: z.enum(SENSOR_EVENT_TYPES).describe('the events it sends'),
});
const Gpio = z.strictObject({
  id: DeviceId,
  kind: z.literal('gpio').describe("a sensor on the gateway's own pins (simulated pins)"),
  sensor: z.enum(['pir', 'door', 'panic', 'sound']),
  pin: z.number().int().min(0).max(63),
  options: z.record(z.string(), z.unknown()).optional().describe('as under sensors: in the gateway config'),
});
const Misbehaving = z.strictObject({
  id: DeviceId,
  kind: z.literal('misbehaving').describe('a registered device that does wrong things when told to'),
});
export const ScenarioDevice = z.discriminatedUnion('kind', [Camera, Sensor, Gpio, Misbehaving]);
export type ScenarioDevice = z.infer<typeof ScenarioDevice>;

export const ScenarioStep = z.union([
  z.strictObject({
    at,
    camera: DeviceId,
    show: path.describe('an image, folder or clip the camera sees from now'),
    for: z.number().positive().optional().describe('seconds, then back to its source'),
  }),
  z.strictObject({
    at,
    sensor: DeviceId,
    event: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("fields over a plausible event of the sensor's type; `at` is set to now"),
  }),
  z.strictObject({
    at,
    gpio: DeviceId,
    level: z
      .union([z.literal(0), z.literal(1), z.null()])
      .describe('drive the pin low or high; null lets it go to its pull-up or pull-down'),
  }),
  z.strictObject({
    at,
    uplink: z.enum(['down', 'up']).describe('the agency broker goes away, or comes back at the same address'),
  }),
  z.strictObject({ at, misbehave: DeviceId, do: z.enum(MISDEEDS) }),
]);
export type ScenarioStep = z.infer<typeof ScenarioStep>;

const Count = z.union([
  z.number().int().min(0),
  z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }),
]);
export type Count = z.infer<typeof Count>;
const FieldCondition = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.strictObject({ min: z.number().optional(), max: z.number().optional() }),
]);

export const ScenarioExpectation = z.union([
  z.strictObject({
    record: z.string().min(1).describe('an upstream record type: counts, door, motion, snapshot…'),
    device: DeviceId,
    where: z
      .record(z.string(), FieldCondition)
      .optional()
      .describe('field values (or {min, max}) a matching record has'),
    absent: z.array(z.string()).optional().describe('fields a matching record must not carry'),
    count: Count.default({ min: 1 }),
  }),
  z.strictObject({
    refused: z
      .string()
      .regex(/^[A-Z_]+$/)
      .describe('a refusal code the gateway counted'),
    count: Count.default({ min: 1 }),
  }),
  z.strictObject({
    allDelivered: z.literal(true).describe('every forwarded record reached the agency broker; the outbox is empty'),
  }),
]);
export type ScenarioExpectation = z.infer<typeof ScenarioExpectation>;

/** The key a step names its device with, and the kind that device must be. */
const STEP_DEVICE = [
  ['camera', 'camera'],
  ['sensor', 'sensor'],
  ['gpio', 'gpio'],
  ['misbehave', 'misbehaving'],
] as const;

export const Scenario = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    policy: path.optional().describe('the policy in force (default: policies/default.yaml)'),
    duration: z.number().positive().max(86_400).describe('seconds the scenario runs; expectations are checked after'),
    devices: z.array(ScenarioDevice).min(1),
    timeline: z.array(ScenarioStep).default([]),
    expect: z.array(ScenarioExpectation).default([]),
  })
  .superRefine((s, ctx) => {
    const kinds = new Map(s.devices.map((d) => [d.id, d.kind]));
    if (kinds.size !== s.devices.length)
      ctx.addIssue({ code: 'custom', path: ['devices'], message: 'two devices have the same id' });
    s.timeline.forEach((step, i) => {
      if (step.at > s.duration)
        ctx.addIssue({
          code: 'custom',
          path: ['timeline', i, 'at'],
          message: `after the end (duration ${s.duration})`,
        });
      const ref = STEP_DEVICE.find(([key]) => key in step);
      if (!ref) return;
      const [key, want] = ref;
      const id = (step as Record<string, unknown>)[key] as string;
      if (kinds.get(id) !== want)
        ctx.addIssue({ code: 'custom', path: ['timeline', i, key], message: `no ${want} device "${id}" in devices` });
    });
  });
export type Scenario = z.infer<typeof Scenario>;

/** The gpio devices as the gateway config's sensors. */
export function gpioSensorsOf(s: Scenario): GpioSensorConfig[] {
  return s.devices.flatMap((d) =>
    d.kind === 'gpio'
      ? [GpioSensorConfig.parse({ id: d.id, kind: d.sensor, pin: d.pin, ...(d.options ? { options: d.options } : {}) })]
      : [],
  );
}
