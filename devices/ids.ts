import { z } from 'zod';

/**
 * A device id is one MQTT topic level: no '/', no wildcards, no NUL, bounded length.
 * Kept to a conservative alphabet so ids are safe in topics, file names and logs.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const DeviceId = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'a device id is 1-64 characters of A-Z a-z 0-9 _ . - and starts with a letter or digit');
export type DeviceId = z.infer<typeof DeviceId>;

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

/** A zone names where devices are ("market-square"); policies match rules on it. Same alphabet as ids. */
export const ZoneName = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'a zone is 1-64 characters of A-Z a-z 0-9 _ . - and starts with a letter or digit');
