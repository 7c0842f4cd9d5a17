import type { DeviceKind } from '../devices/index.ts';

/** A record the gateway would like to send upstream, before the policy has looked at it. */
export interface Candidate {
  deviceId: string;
  deviceKind: DeviceKind;
  /** the zone the device is registered in, if any: rules may match on it */
  zone?: string | undefined;
  recordType: string;
  fields: Readonly<Record<string, unknown>>;
}

/** The candidate as the policy sees it: a device's zone is also a field rules may allow. */
export function withZone(c: Candidate, zone: string | undefined): Candidate {
  return zone === undefined ? c : { ...c, zone, fields: { ...c.fields, zone } };
}

/**
 * What an evaluation needs from outside, passed in so the evaluator stays pure: the gateway's
 * clock (time windows, effective dates, rate limits), the deployment's salt (hash transforms),
 * and the rate-limit state, which belongs to one activation of one policy.
 */
export interface EvalEnv {
  now: number;
  salt: string;
  limits?: RateLimitState | undefined;
}

export interface RateLimitState {
  /** Takes one record from every bucket, or none if any is empty. */
  take(keys: ReadonlyArray<{ key: string; max: number; perSeconds: number }>, now: number): boolean;
}
