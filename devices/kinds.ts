import { z } from 'zod';
import { SENSOR_EVENT_TYPES } from './events.ts';

/** What a device of each kind may publish, and which record types its data becomes. */
export const DEVICE_KINDS = {
  camera: {
    channels: ['frames', 'status'],
    recordTypes: ['counts', 'observation', 'snapshot'],
    description: 'publishes raw JPEG frames; the gateway redacts and describes them on the device',
  },
  sensor: {
    channels: ['events', 'status'],
    recordTypes: [...SENSOR_EVENT_TYPES],
    description: `publishes JSON events (${SENSOR_EVENT_TYPES.join(', ')})`,
  },
} as const satisfies Record<string, { channels: readonly Channel[]; recordTypes: readonly string[]; description: string }>;

export const DeviceKind = z.enum(['camera', 'sensor']);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const Channel = z.enum(['frames', 'events', 'status']);
export type Channel = z.infer<typeof Channel>;

export function kindAllowsChannel(kind: DeviceKind, channel: Channel): boolean {
  return (DEVICE_KINDS[kind].channels as readonly Channel[]).includes(channel);
}

/** Every record type any device kind can produce: the vocabulary policies match on. */
export const RECORD_TYPES: readonly string[] = [
  ...new Set(Object.values(DEVICE_KINDS).flatMap((k) => [...k.recordTypes])),
];
