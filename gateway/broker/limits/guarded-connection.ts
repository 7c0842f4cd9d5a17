import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { MqttGuard, Violation } from './guard.ts';

/** What the guard wraps: a TCP or TLS socket, or a WebSocket stream. */
type Inner = Duplex & { remoteAddress?: string | undefined };

/**
 * The socket as aedes sees it, with every incoming byte passed through the guard first. A client
 * that breaks a limit is cut off at once; the packet never reaches aedes's parser.
 */
export class GuardedConnection extends Duplex {
  constructor(
    private readonly socket: Inner,
    readonly guard: MqttGuard,
    onViolation: (v: Violation, conn: GuardedConnection) => void,
    private readonly address: string | undefined = socket.remoteAddress,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      const v = guard.feed(chunk);
      if (v) {
        onViolation(v, this);
        if (v.reply) socket.end(v.reply);
        else socket.destroy();
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.address;
  }

  /** The CN of a client certificate the TLS listener verified against its CA, if any. */
  get verifiedCertificateCN(): string | null {
    if (!(this.socket instanceof TLSSocket) || !this.socket.authorized) return null;
    const cn = this.socket.getPeerCertificate().subject?.CN;
    return typeof cn === 'string' ? cn : null;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // acknowledge at once unless the socket is backed up: waiting for each flush would serialise writes
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    // a socket that is ending (sending a last CONNACK) closes by itself once that is written
    if (!this.socket.writableEnded) this.socket.destroy();
    cb(err);
  }
}
