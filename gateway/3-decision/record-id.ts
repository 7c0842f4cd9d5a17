import { createHmac, randomUUID } from 'node:crypto';

/**
 * The id of the record made from a device's event: a keyed hash of the device and the exact
 * payload, in UUID form. A device that sends the same event again (QoS 1 after a lost PUBACK, a
 * gateway crash) produces the same id, so the receiver recognises the duplicate. Keyed with the
 * deployment salt, so the id reveals nothing about the payload (the policy may have rounded its time away).
 */
export function eventRecordId(salt: string, deviceId: string, payload: Buffer): string {
  const h = createHmac('sha256', salt).update(deviceId).update('\n').update(payload).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Records the gateway makes itself (counts, observations) are made once: a random id will do. */
export function newRecordId(): string {
  return randomUUID();
}
