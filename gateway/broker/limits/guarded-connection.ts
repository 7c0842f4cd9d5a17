import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { MqttGuard, Violation } from './guard.ts';
import { READ_BYTES, readWholePackets } from './whole-packet-reads.ts';

/** What the guard wraps: a TCP or TLS socket, or a WebSocket stream. */
type Inner = Duplex & { remoteAddress?: string | undefined };

/** What the gateway knows of a connection, for the hooks: aedes hands them `client.conn`. */
export interface GuardedConnection {
  guard: MqttGuard;
  remoteAddress: string | undefined;
  /** the CN of a client certificate the TLS listener verified against its CA, if any */
  verifiedCertificateCN: string | null;
}

const info = new WeakMap<object, GuardedConnection>();

export function connectionInfo(conn: unknown): GuardedConnection | undefined {
  return conn && typeof conn === 'object' ? info.get(conn) : undefined;
}

/**
 * Puts the guard in front of aedes's parser: every chunk the stream receives is checked as it is
 * pushed into the stream's buffer, before aedes can read it, and a client that breaks a limit is cut
 * off at once. It replaces the stream's own `push` (through which net, tls and ws streams deliver
 * what they read; the limits tests prove it on each listener) instead of wrapping the stream in
 * another Duplex, which halved the broker's throughput (npm run bench broker).
 */
export function guardStream<S extends Inner>(stream: S, guard: MqttGuard, onViolation: (v: Violation, conn: GuardedConnection) => void, address = stream.remoteAddress): S {
  const conn: GuardedConnection = {
    guard,
    remoteAddress: address,
    get verifiedCertificateCN() {
      if (!(stream instanceof TLSSocket) || !stream.authorized) return null;
      const cn = stream.getPeerCertificate().subject?.CN;
      return typeof cn === 'string' ? cn : null;
    },
  };
  info.set(stream, conn);
  const push = stream.push.bind(stream);
  let cut = false;
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (cut) return false;
    if (chunk !== null && Buffer.isBuffer(chunk)) {
      const v = guard.feed(chunk);
      if (v) {
        cut = true;
        onViolation(v, conn);
        if (v.reply) stream.end(v.reply);
        else stream.destroy();
        return false;
      }
    }
    return push(chunk, encoding);
  };
  readWholePackets(stream, guard.packetEnds, READ_BYTES);
  return stream;
}
