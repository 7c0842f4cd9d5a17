import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Aedes } from 'aedes';
import { GuardedConnection } from './limits/guarded-connection.ts';
import { MqttGuard, type GuardLimits, type Violation } from './limits/guard.ts';

export interface ListenOptions {
  guard: GuardLimits;
  maxConnections: number;
  onViolation(v: Violation, remoteAddress: string | undefined, conn: GuardedConnection): void;
  onConnectionRefused?(remoteAddress: string | undefined): void;
}

/** Hands each connection to aedes through the guard; `maxConnections` is enforced by the server itself. */
export function guardedHandler(broker: Aedes, o: ListenOptions): (socket: Socket) => void {
  return (socket) => {
    socket.setNoDelay(true);
    const conn = new GuardedConnection(socket, new MqttGuard(o.guard), (v, c) => o.onViolation(v, socket.remoteAddress, c));
    broker.handle(conn as unknown as Socket);
  };
}

/** Plain TCP listener for the broker; resolves with the bound address (port 0 picks a free one). */
export async function listenTcp(broker: Aedes, host: string, port: number, o?: ListenOptions): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer(o ? guardedHandler(broker, o) : broker.handle);
  if (o) {
    server.maxConnections = o.maxConnections;
    server.on('drop', (d) => o.onConnectionRefused?.(d?.remoteAddress));
  }
  return listen(server, host, port);
}

export async function listen<S extends Server>(server: S, host: string, port: number): Promise<{ server: S; address: AddressInfo }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}
