import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { MqttGuard, Violation } from './guard.ts';
import { READ_BYTES, readWholePackets } from '../patches/whole-packet-reads.ts';

/** What the guard wraps: a TCP or TLS socket, or a WebSocket stream. */
type Inner = Duplex & { remoteAddress?: string | undefined };

/** What the gateway knows of a connection, for the hooks: aedes hands them `client.conn`. */
export interface GuardedConnection {
  guard: MqttGuard;
  remoteAddress: string | undefined;
  /** the client certificate a TLS client presented, verified against the listener's CA or not; null if none */
  clientCertificate: PresentedCertificate | null;
}

export interface PresentedCertificate {
  cn: string | null;
  fingerprint256: string;
  validTo: string;
  /** true when it chains to the CA and is within its dates */
  verified: boolean;
  /** OpenSSL's reason when it is not, e.g. CERT_HAS_EXPIRED */
  error: string | null;
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
export function guardStream<S extends Inner>(
  stream: S,
  guard: MqttGuard,
  onViolation: (v: Violation, conn: GuardedConnection) => void,
  address = stream.remoteAddress,
): S {
  const conn: GuardedConnection = {
    guard,
    remoteAddress: address,
    get clientCertificate() {
      if (!(stream instanceof TLSSocket)) return null;
      const c = stream.getPeerCertificate();
      if (!c || !c.fingerprint256) return null;
      const cn = c.subject?.CN;
      const error = stream.authorizationError;
      return {
        cn: typeof cn === 'string' ? cn : null,
        fingerprint256: c.fingerprint256,
        validTo: c.valid_to,
        verified: stream.authorized,
        error: error ? String((error as NodeJS.ErrnoException).code ?? error) : null,
      };
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
