/**
 * Per-address back-off against password guessing: after a few failures, an address must wait, and
 * the wait doubles with each further failure (up to a cap). While it waits, its logins are refused
 * without checking the secret, so guessing also cannot burn the CPU on scrypt. A success clears it.
 */
export class AuthBackoff {
  private readonly byAddress = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly freeFailures: number,
    private readonly baseMs = 1_000,
    private readonly maxMs = 5 * 60_000,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Milliseconds this address must still wait; 0 when it may try. */
  waitFor(address: string, now: number): number {
    const e = this.byAddress.get(address);
    return e ? Math.max(0, e.until - now) : 0;
  }

  failed(address: string, now: number): void {
    const e = this.byAddress.get(address) ?? { failures: 0, until: 0 };
    e.failures++;
    const over = e.failures - this.freeFailures + 1;
    e.until = over > 0 ? now + Math.min(this.maxMs, this.baseMs * 2 ** (over - 1)) : 0;
    this.byAddress.delete(address); // re-insert: the map's order is least recently failed first
    this.byAddress.set(address, e);
    if (this.byAddress.size > this.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}
