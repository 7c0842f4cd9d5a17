import { isIPv6 } from 'node:net';

/**
 * Connections that have not logged in yet, counted per address across every listener (TCP, TLS and
 * WebSocket share one count). One address may hold only a few: a flood of sockets that never send
 * CONNECT no longer takes the slots real devices need (the global maxConnections). IPv6 addresses
 * count by their /64, which one host usually holds whole; each IPv4 address apart.
 */
export class PendingConnections {
  private readonly byKey = new Map<string, number>();
  private readonly keyOf = new WeakMap<object, string>();

  constructor(private readonly maxPerAddress: number) {}

  /** Counts a new connection; false (and nothing counted) when its address already has too many. */
  admit(conn: object & { once(event: 'close', fn: () => void): unknown }, address: string | undefined): boolean {
    const key = addressKey(address);
    const n = this.byKey.get(key) ?? 0;
    if (n >= this.maxPerAddress) return false;
    this.byKey.set(key, n + 1);
    this.keyOf.set(conn, key);
    conn.once('close', () => this.release(conn));
    return true;
  }

  /** The connection logged in (or closed): it no longer counts. */
  release(conn: object): void {
    const key = this.keyOf.get(conn);
    if (key === undefined) return;
    this.keyOf.delete(conn);
    const n = (this.byKey.get(key) ?? 1) - 1;
    if (n <= 0) this.byKey.delete(key);
    else this.byKey.set(key, n);
  }
}

/** The unit an address is counted by: an IPv4 address, or an IPv6 /64 (IPv4-mapped ones as IPv4). */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
