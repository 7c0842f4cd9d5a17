import type { Readable } from 'node:stream';
import type { Fifo } from '../fifo.ts';

/**
 * Bytes aedes is given at a time, when they hold whole packets: aedes reads all that a connection
 * has buffered and keeps every packet of it in memory until the last is delivered, so publishers
 * flooding one subscriber held tens of thousands of messages; in small reads far fewer survive each
 * garbage collection (docs/performance.md, "Figures behind code choices").
 */
export const READ_BYTES = 4096;

/**
 * Makes `read()` without a size return whole packets, up to `maxBytes` of them. `packetEnds` are
 * the offsets, in bytes pushed into the stream, where packets end (the guard records them as it
 * reads each header). Each read holds at least one complete packet whenever one is buffered, so
 * aedes, which reads again only once a read's packets are done or new bytes arrive, always has a
 * packet to finish. When no complete packet is buffered, or the first alone is larger than
 * `maxBytes` (a camera's frame), the read takes everything, as aedes always did: asking the stream
 * for exactly a 2 MiB packet would raise its buffer limit to 4 MiB for good.
 *
 * aedes may read again from inside its parser, when a packet's handling finishes synchronously.
 * It never could get bytes there (it had taken them all), and its parser is not reentrant: a
 * second parse there handled the first packet again. So a read in the same synchronous run as one
 * that returned bytes gets nothing, and once that run is over the stream announces 'readable'
 * again for what is left.
 */
export function readWholePackets(stream: Readable, packetEnds: Fifo<number>, maxBytes: number): void {
  const read = stream.read.bind(stream);
  let taken = 0;
  let justRead = false;
  let owed = false;
  const settle = (): void => {
    justRead = false;
    if (!owed) return;
    owed = false;
    if (!stream.destroyed && stream.readableLength > 0) stream.emit('readable');
  };
  stream.read = (size?: number) => {
    if (size === undefined || size === null) {
      if (justRead) {
        owed = true;
        return null;
      }
      while (packetEnds.length > 0 && packetEnds.peek()! <= taken) packetEnds.shift();
      const first = packetEnds.peek();
      if (first !== undefined && first - taken <= maxBytes) {
        let end = packetEnds.shift()!;
        while (packetEnds.length > 0 && packetEnds.peek()! - taken <= maxBytes) end = packetEnds.shift()!;
        size = end - taken;
      }
    }
    const chunk: unknown = read(size);
    if (chunk) {
      taken += (chunk as Buffer).length;
      if (!justRead) {
        justRead = true;
        queueMicrotask(settle);
      }
    }
    return chunk;
  };
}
