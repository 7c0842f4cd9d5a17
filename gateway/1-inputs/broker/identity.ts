import type { Client } from 'aedes';
import type { DeviceKind } from '../../../devices/index.ts';

/** Who a connected client is, fixed at CONNECT. */
export type Identity =
  | {
      role: 'device';
      deviceId: string;
      kind: DeviceKind;
      /** the stored secret hash it proved: a rotation changes it */ credential: string;
    }
  | { role: 'consumer'; consumerId: string; credential: string }
  | { role: 'anonymous' };

const IDENTITY = Symbol('veilgate.identity');

export function setIdentity(client: Client, id: Identity): void {
  (client as unknown as Record<symbol, Identity>)[IDENTITY] = id;
}

/** null for the broker's own publishes (aedes passes no client for those). */
export function identityOf(client: Client | null | undefined): Identity | null {
  if (!client) return null;
  return (client as unknown as Record<symbol, Identity | undefined>)[IDENTITY] ?? { role: 'anonymous' };
}
