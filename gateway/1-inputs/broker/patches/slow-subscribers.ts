import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';

export interface BacklogBounds {
  maxBytes: number;
  maxSeconds: number;
}

/**
 * A subscriber that stops reading must never hold up device intake. aedes frees a delivery slot only
 * once a full socket has drained, and its slots are shared by every client: one dashboard on a dead
 * link took every device's acknowledgements to zero within seconds (until aedes's drainTimeout, a
 * minute later). Here a delivery never waits: what the socket cannot take yet stays in its buffer,
 * up to `maxBytes` and for at most `maxSeconds`; past either the subscriber is cut off and `onCut`
 * says why. Replaces aedes 1.x's `Client#waitForDrain` (lib/client.js), the one place it waits.
 */
export function neverWaitForDrain(client: Client, bounds: BacklogBounds, onCut: (reason: string) => void): void {
  const conn = client.conn as unknown as Duplex;
  let timer: NodeJS.Timeout | null = null;
  let cut = false;
  const stop = (reason: string) => {
    if (cut) return;
    cut = true;
    if (timer) clearTimeout(timer);
    onCut(reason);
    conn.destroy();
  };
  const drained = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  conn.once('close', drained);
  (client as unknown as { waitForDrain(cb: (e: Error | null, c: Client) => void): void }).waitForDrain = (cb) => {
    setImmediate(cb, null, client);
    if (conn.writableLength > bounds.maxBytes) return stop(`more than ${bounds.maxBytes} bytes left unread`);
    if (timer) return;
    timer = setTimeout(() => stop(`its socket stayed full for ${bounds.maxSeconds} s`), bounds.maxSeconds * 1000);
    timer.unref();
    conn.once('drain', drained);
  };
}
