import type { DeviceKind } from '../devices/index.ts';

/** A record the gateway would like to send upstream, before the policy has looked at it. */
export interface Candidate {
  deviceId: string;
  deviceKind: DeviceKind;
  recordType: string;
  fields: Readonly<Record<string, unknown>>;
}
