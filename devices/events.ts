import { z } from 'zod';

/**
 * Sensor event payloads on `devices/{id}/events`, discriminated on `type`.
 * `at` is the device's clock (ISO 8601); the gateway checks it against its own clock.
 */
const at = z.iso.datetime({ offset: true }).describe('when it happened, ISO 8601 with offset or Z');

export const MotionEvent = z.strictObject({ type: z.literal('motion'), at, active: z.boolean() });
export const DoorEvent = z.strictObject({ type: z.literal('door'), at, open: z.boolean() });
/** Where a mobile device (a body-worn camera, a radio) was; WGS 84 degrees. */
export const Location = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  accuracyM: z.number().min(0).max(100_000).optional().describe('radius of the fix, metres'),
});
export type Location = z.infer<typeof Location>;

export const PanicEvent = z.strictObject({
  type: z.literal('panic'),
  at,
  action: z.enum(['press', 'hold', 'release']),
  location: Location.optional(),
});
/** An incident marked on a body-worn camera or radio: who, where, what kind. */
export const IncidentEvent = z.strictObject({
  type: z.literal('incident'),
  at,
  category: z.enum(['assault', 'disorder', 'medical', 'theft', 'traffic', 'welfare', 'other']),
  location: Location.optional(),
  officer: z.string().min(1).max(64).optional().describe("the wearer's badge or staff number: an identifier"),
});
export const SoundLevelEvent = z.strictObject({
  type: z.literal('sound_level'),
  at,
  dbA: z.number().min(0).max(200),
});

export const SensorEvent = z.discriminatedUnion('type', [
  MotionEvent,
  DoorEvent,
  PanicEvent,
  SoundLevelEvent,
  IncidentEvent,
]);
export type SensorEvent = z.infer<typeof SensorEvent>;

export const SENSOR_EVENT_TYPES = ['motion', 'door', 'panic', 'sound_level', 'incident'] as const;
export type SensorEventType = (typeof SENSOR_EVENT_TYPES)[number];

/** Status payloads on `devices/{id}/status` (retained; the offline one is the will). */
export const DeviceStatus = z.enum(['online', 'offline']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/** Largest sensor event we parse; anything bigger is dropped before JSON.parse. */
export const MAX_EVENT_BYTES = 4096;
