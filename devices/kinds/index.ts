import { z } from 'zod';
import { camera } from './camera.ts';
import { Channel } from './channel.ts';
import { sensor } from './sensor.ts';

export { Channel, type DeviceKindSpec } from './channel.ts';

/**
 * Every kind of device, each declared in its own file here (channels, payloads, record types).
 * Adding a kind: a file like camera.ts, its entry below, and its simulator in simulators/.
 */
export const DEVICE_KINDS = { camera, sensor } as const;

export const DeviceKind = z.enum(
  Object.keys(DEVICE_KINDS) as [keyof typeof DEVICE_KINDS, ...Array<keyof typeof DEVICE_KINDS>],
);
export type DeviceKind = z.infer<typeof DeviceKind>;

export function kindAllowsChannel(kind: DeviceKind, channel: Channel): boolean {
  return (DEVICE_KINDS[kind].channels as readonly Channel[]).includes(channel);
}

/** Every record type any device kind can produce: the vocabulary policies match on. */
export const RECORD_TYPES: readonly string[] = [
  ...new Set(Object.values(DEVICE_KINDS).flatMap((k) => [...k.recordTypes])),
];
