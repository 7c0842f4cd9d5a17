import type { Aedes, Client } from 'aedes';
import type { WillLike } from '../wills.ts';

/*
 * Fields of aedes 1.2 that its types do not declare and the gateway reads. Read here and nowhere
 * else, so that contracts.test.ts checks each against the installed aedes.
 */

/** The will a client sent with CONNECT: aedes keeps it on the client before it authenticates. */
export function willOf(client: Client): WillLike | null {
  return (client as unknown as { _will?: WillLike | null })._will ?? null;
}

/** The filters aedes has granted a client, keyed by filter. */
export function grantedFilters(client: Client): string[] {
  return Object.keys((client as unknown as { subscriptions?: object }).subscriptions ?? {});
}

/** The connected clients, by client id. */
export function connectedClients(broker: Aedes): Client[] {
  return Object.values((broker as unknown as { clients: Record<string, Client> }).clients);
}
