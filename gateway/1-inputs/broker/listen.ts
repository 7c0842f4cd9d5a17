import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Aedes } from 'aedes';
import { batchWrites } from './patches/batch-writes.ts';
import { guardStream, type GuardedConnection } from './limits/guarded-connection.ts';
import { MqttGuard, type GuardLimits, type Violation } from './limits/guard.ts';
import type { PendingConnections } from './pending-connections.ts';

export interface ListenOptions {
  guard: GuardLimits;
  maxConnections: number;
  /** TCP_NODELAY on TCP and TLS connections (config broker.tcpNoDelay) */
  noDelay: boolean;
  onViolation(v: Violation, remoteAddress: string | undefined, conn: GuardedConnection): void;
  onConnectionRefused?(remoteAddress: string | undefined): void;
  /** connections not logged in yet, per address, shared by every listener */
  pending?: PendingConnections;
  onTooManyPending?(remoteAddress: string | undefined): void;
  /** how long a TLS handshake or a WebSocket upgrade may take (the CONNECT timeout, before aedes starts its own) */
  handshakeTimeoutMs?: number;
}

/** Whether one more connection from this address may wait for its CONNECT; ends it at once if not. */
function admitted(o: ListenOptions, conn: Duplex, address: string | undefined): boolean {
  if (!o.pending || o.pending.admit(conn, address)) return true;
  o.onTooManyPending?.(address);
  conn.destroy();
  return false;
}

/** Hands each connection to aedes through the guard; `maxConnections` is enforced by the server itself. */
export function guardedHandler(broker: Aedes, o: ListenOptions): (socket: Socket) => void {
  return (socket) => {
    if (!admitted(o, socket, socket.remoteAddress)) return;
    // what a loop turn sends a client leaves in one write (batchWrites), so Nagle's algorithm no
    // longer saves CPU and only delays: off by default (npm run bench broker)
    socket.setNoDelay(o.noDelay);
    batchWrites(socket);
    broker.handle(guardStream(socket, new MqttGuard(o.guard), (v, c) => o.onViolation(v, socket.remoteAddress, c)));
  };
}

/**
 * The connections a server has open, kept up to date as they come and go: aedes closes only the
 * clients that completed CONNECT, so whoever stops the broker ends the rest itself.
 */
export function openSockets(server: Server): ReadonlySet<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Plain TCP listener for the broker; resolves with the bound address (port 0 picks a free one). */
export async function listenTcp(
  broker: Aedes,
  host: string,
  port: number,
  o?: ListenOptions,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer(o ? guardedHandler(broker, o) : broker.handle);
  if (o) {
    server.maxConnections = o.maxConnections;
    server.on('drop', (d) => o.onConnectionRefused?.(d?.remoteAddress));
  }
  return listen(server, host, port);
}

export async function listen<S extends Server>(
  server: S,
  host: string,
  port: number,
): Promise<{ server: S; address: AddressInfo }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}

/** MQTT over TLS (mqtts); a client certificate is asked for but optional, so password logins still work. */
export async function listenTls(
  broker: Aedes,
  t: { host: string; port: number; cert: Buffer; key: Buffer; ca?: Buffer | undefined; requestCert: boolean },
  o: ListenOptions,
): Promise<{ server: TlsServer; address: AddressInfo }> {
  const server = createTlsServer(
    {
      cert: t.cert,
      key: t.key,
      ...(t.ca ? { ca: t.ca } : {}),
      requestCert: t.requestCert,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ...(o.handshakeTimeoutMs ? { handshakeTimeout: o.handshakeTimeoutMs } : {}),
    },
    guardedHandler(broker, o),
  );
  server.maxConnections = o.maxConnections;
  server.on('drop', (d) => o.onConnectionRefused?.(d?.remoteAddress));
  // a failed handshake is the client's problem; never let it become an error on the server
  server.on('tlsClientError', () => {});
  return listen(server, t.host, t.port);
}

/** MQTT over WebSocket; `maxPayload` caps each WebSocket message before the guard sees it. */
export async function listenWebSocket(
  broker: Aedes,
  w: { host: string; port: number; maxPayload: number },
  o: ListenOptions,
): Promise<{ server: HttpServer; address: AddressInfo; close(): void }> {
  const server = createHttpServer((_req, res) =>
    res.writeHead(426, { connection: 'close' }).end('use MQTT over WebSocket\n'),
  );
  server.maxConnections = o.maxConnections;
  if (o.handshakeTimeoutMs) server.headersTimeout = server.requestTimeout = o.handshakeTimeoutMs;
  const wss = new WebSocketServer({ server, maxPayload: w.maxPayload });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    if (!admitted(o, stream, req.socket.remoteAddress)) return ws.terminate();
    stream.on('error', () => ws.terminate());
    batchWrites(stream);
    const address = req.socket.remoteAddress;
    broker.handle(
      guardStream(stream, new MqttGuard(o.guard), (v, c) => o.onViolation(v, address, c), address) as unknown as Socket,
    );
  });
  const r = await listen(server, w.host, w.port);
  return { ...r, close: () => wss.close() };
}
