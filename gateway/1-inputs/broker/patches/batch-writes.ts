import { Writable } from 'node:stream';

type Buffered = { chunk: Buffer | string; encoding: BufferEncoding | 'buffer' };
type WritevStream = Writable & {
  _write(chunk: Buffer, encoding: string, cb: (e?: Error | null) => void): void;
  _writev?(chunks: Buffered[], cb: (e?: Error | null) => void): void;
};

/** Up to this many bytes, a batch is copied into one buffer before it is written. */
const COPY_LIMIT = 64 * 1024;

/**
 * Sends all that one event loop turn writes to a client in one system call.
 *
 * mqtt-packet corks the stream for each packet it writes and uncorks it on the next tick, but aedes
 * delivers each message in its own tick, so each 100-byte message to a subscriber was its own
 * writev of five pieces (a quarter of the broker's CPU under load). Here the cork lasts until
 * setImmediate, at most the rest of the turn, and the pieces of a batch are copied into one buffer:
 * one short copy costs less than the kernel and libuv walking hundreds of tiny pieces, and over
 * WebSocket the batch is one frame instead of one per piece.
 */
export function batchWrites(stream: WritevStream): void {
  let held = false;
  const release = (): void => {
    if (!held) return;
    held = false;
    Writable.prototype.uncork.call(stream);
  };
  stream.cork = (): void => {
    if (held) return;
    held = true;
    Writable.prototype.cork.call(stream);
    setImmediate(release);
  };
  // every uncork while the turn's cork is held is the release's to do
  stream.uncork = (): void => {
    if (!held) Writable.prototype.uncork.call(stream);
  };
  // end() sends what is held first: a write that completes after end() has begun would never let
  // the stream finish (Node's Writable checks for the end only before a batched write returns)
  const end = stream.end;
  stream.end = ((...args: Parameters<Writable['end']>) => {
    release();
    return end.apply(stream, args);
  }) as Writable['end'];
  const writev = stream._writev?.bind(stream);
  // a WebSocket stream has no _writev of its own: without this each piece would be its own frame
  stream._writev = (chunks, cb) => {
    let bytes = 0;
    for (const c of chunks)
      bytes += typeof c.chunk === 'string' ? Buffer.byteLength(c.chunk, c.encoding as BufferEncoding) : c.chunk.length;
    if (bytes > COPY_LIMIT && writev) return writev(chunks, cb);
    const one = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const c of chunks)
      at += typeof c.chunk === 'string' ? one.write(c.chunk, at, c.encoding as BufferEncoding) : c.chunk.copy(one, at);
    stream._write(one, 'buffer', cb);
  };
}
