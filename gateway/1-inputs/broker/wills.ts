import { deviceTopic, DEVICES_ROOT, isUnderRoot, LOCAL_ROOT, type DeviceKind } from '../../../devices/index.ts';
import type { Identity } from './identity.ts';

/** A will as aedes keeps it: from CONNECT, or stored by an earlier run (with the client id it belongs to). */
export interface WillLike {
  topic: string;
  payload: Buffer | string;
  clientId?: string;
}

/** Where an anonymous lab client may publish (and so leave a will): anywhere but devices/ and local/. */
export function anonymousMayPublish(topic: string): boolean {
  return !isUnderRoot(topic, DEVICES_ROOT) && !isUnderRoot(topic, LOCAL_ROOT);
}

/**
 * A will is a publish made later on the client's behalf, so it passes the publish rules, checked at
 * CONNECT (nothing else is ever stored) and again when a stored will is published:
 * - a device may leave only `offline` on its own status topic;
 * - a local consumer is read-only and may leave none;
 * - an anonymous lab client only where it may publish (not under devices/ or local/, not $).
 * Returns why a will is refused, or null.
 */
export function willProblem(who: Identity, will: WillLike): string | null {
  if (who.role === 'consumer') return 'local consumers are read-only and may leave no will';
  if (who.role === 'anonymous') {
    if (will.topic.startsWith('$') || !anonymousMayPublish(will.topic))
      return 'an anonymous client may not leave a will under devices/, local/ or $';
    return null;
  }
  if (will.topic !== deviceTopic(who.deviceId, 'status'))
    return `a will may only be published on ${deviceTopic(who.deviceId, 'status')}`;
  if (will.payload.toString() !== 'offline') return 'a will may only say offline';
  return null;
}

/**
 * A will stored by an earlier run, judged by the client id it was stored for as that client is known
 * now: a device's by the device rule, anyone else's as an anonymous client's, and only while
 * anonymous clients are allowed at all.
 */
export function storedWillProblem(
  will: WillLike,
  kindOf: (id: string) => DeviceKind | 'consumer' | null,
  allowAnonymous: boolean,
): string | null {
  const id = will.clientId;
  if (!id) return 'a stored will without a client id';
  const kind = kindOf(id);
  if (kind === 'consumer') return willProblem({ role: 'consumer', consumerId: id, credential: '' }, will);
  if (kind) return willProblem({ role: 'device', deviceId: id, kind, credential: '' }, will);
  if (!allowAnonymous) return `${id} is not a provisioned device, and anonymous clients are not allowed`;
  return willProblem({ role: 'anonymous' }, will);
}
