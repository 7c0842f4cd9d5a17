import { DeviceStatus, SENSOR_EVENT_TYPES, SensorEvent } from '../events.ts';
import type { DeviceKindSpec } from './channel.ts';

/**
 * A sensor: JSON events (motion, door, panic, sound level, incidents). Sensors on the gateway's own
 * GPIO pins are of this kind too: their events take the same path.
 */
export const sensor = {
  channels: ['events', 'status'],
  payloads: { events: SensorEvent, status: DeviceStatus },
  recordTypes: [...SENSOR_EVENT_TYPES],
  description: `publishes JSON events (${SENSOR_EVENT_TYPES.join(', ')})`,
} as const satisfies DeviceKindSpec;
