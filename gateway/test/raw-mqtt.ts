import { connect, type Socket } from 'node:net';

/** Hand-built MQTT 3.1.1 packets, for tests that must send what no client library would. */
function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export function connectPacket(clientId: string, username?: string, password?: string, keepalive = 60): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    utf8('MQTT'),
    Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff]),
    utf8(clientId),
    ...(username !== undefined ? [utf8(username)] : []),
    ...(password !== undefined ? [utf8(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export function publishHeader(topic: string | Buffer, payloadLength: number, qos = 0): Buffer {
  const t = typeof topic === 'string' ? Buffer.from(topic) : topic;
  const varHeader = Buffer.concat([
    Buffer.from([t.length >> 8, t.length & 0xff]),
    t,
    qos > 0 ? Buffer.from([0, 1]) : Buffer.alloc(0),
  ]);
  return Buffer.concat([
    Buffer.from([0x30 | (qos << 1)]),
    remainingLength(varHeader.length + payloadLength),
    varHeader,
  ]);
}

/** A raw TCP client that records what comes back and when the server closes it. */
export async function rawClient(
  port: number,
): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void>; isClosed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (d) => chunks.push(d));
  socket.on('error', () => {});
  const closedP = new Promise<void>((r) =>
    socket.once('close', () => {
      closed = true;
      r();
    }),
  );
  return { socket, received: () => Buffer.concat(chunks), closed: closedP, isClosed: () => closed };
}
