import { addressKey } from './pending-connections.ts';

/** Logins count by the unit one attacker holds whole: an IPv6 /64, and the box's own 127.0.0.0/8 as one. */
export function loginKey(address: string | undefined): string {
  const key = addressKey(address);
  return /^127\./.test(key) || address === '::1' ? 'loopback' : key;
}

/** Why a login was not even checked. */
export type LoginRefusal = { reason: 'backoff'; waitMs: number } | { reason: 'busy' };

/** A login being checked: say how it ended, exactly once. */
export interface LoginAttempt {
  ok: true;
  end(succeeded: boolean, now: number): void;
}

type Outcome = LoginAttempt | LoginRefusal;

interface Entry {
  failures: number;
  until: number;
  inFlight: number;
  queue: Array<(o: Outcome) => void>;
}

/**
 * Per-address back-off against password guessing. An attempt is taken (and counted) before its secret
 * is checked, so a burst sent at once is judged as the sequence it is: an address has at most
 * `maxInFlight` checks running, and never more than it has free failures left; the rest wait their
 * turn (devices behind one NAT reconnecting together all get in, two at a time). Past its free
 * failures an address must wait, the wait doubling with each further failure up to a cap; while it
 * waits, its logins, queued ones included, are refused without running scrypt. A success clears it.
 */
export class AuthBackoff {
  private readonly byAddress = new Map<string, Entry>();

  constructor(
    private readonly freeFailures: number,
    private readonly baseMs = 1_000,
    private readonly maxMs = 5 * 60_000,
    private readonly maxAddresses = 10_000,
    private readonly maxInFlight = 2,
    private readonly maxQueued = 256,
  ) {}

  /** Milliseconds this address must still wait; 0 when it may try. */
  waitFor(address: string | undefined, now: number): number {
    const e = this.byAddress.get(loginKey(address));
    return e ? Math.max(0, e.until - now) : 0;
  }

  /** Takes an attempt for this address (counted at once, granted when its turn comes), or says why it may not try. */
  begin(address: string | undefined, now: number): Promise<Outcome> {
    const key = loginKey(address);
    const e = this.byAddress.get(key) ?? { failures: 0, until: 0, inFlight: 0, queue: [] };
    this.touch(key, e);
    if (e.until > now) return Promise.resolve({ reason: 'backoff', waitMs: e.until - now });
    if (this.mayRun(e)) return Promise.resolve(this.grant(key, e));
    if (e.queue.length >= this.maxQueued) return Promise.resolve({ reason: 'busy' });
    return new Promise((resolve) => e.queue.push(resolve));
  }

  /**
   * Runs `check` as one counted attempt of this address, when its turn comes, and records how it
   * ended (null or a throw: a failure), so that no caller can leave an attempt running forever.
   * A refusal (waiting, or too many queued) is returned without running it.
   */
  async check<T>(
    address: string | undefined,
    check: () => Promise<T | null>,
  ): Promise<{ result: T | null } | LoginRefusal> {
    const attempt = await this.begin(address, Date.now());
    if (!('ok' in attempt)) return attempt;
    let result: T | null = null;
    try {
      result = await check();
    } finally {
      attempt.end(result !== null, Date.now());
    }
    return { result };
  }

  /** Checks running that use up what the address has left decide, before any other starts, whether it waits. */
  private mayRun(e: Entry): boolean {
    return e.inFlight === 0 || (e.inFlight < this.maxInFlight && e.failures + e.inFlight < this.freeFailures);
  }

  private grant(key: string, e: Entry): LoginAttempt {
    e.inFlight++;
    let ended = false;
    return {
      ok: true,
      end: (succeeded, at) => {
        if (ended) return;
        ended = true;
        e.inFlight--;
        if (succeeded) {
          e.failures = 0;
          e.until = 0;
        } else {
          e.failures++;
          const over = e.failures - this.freeFailures + 1;
          if (over > 0) e.until = Math.max(e.until, at + Math.min(this.maxMs, this.baseMs * 2 ** (over - 1)));
        }
        this.next(key, e, at);
      },
    };
  }

  /** Lets queued attempts go as far as the address may, or refuses them all once it must wait. */
  private next(key: string, e: Entry, now: number): void {
    while (e.queue.length > 0) {
      if (e.until > now) {
        for (const resolve of e.queue.splice(0)) resolve({ reason: 'backoff', waitMs: e.until - now });
        break;
      }
      if (!this.mayRun(e)) break;
      e.queue.shift()!(this.grant(key, e));
    }
    if (e.failures === 0 && e.inFlight === 0 && e.queue.length === 0 && this.byAddress.get(key) === e)
      this.byAddress.delete(key);
  }

  /** Re-inserts: the map's order is least recently used first, and the oldest go past the bound. */
  private touch(key: string, e: Entry): void {
    this.byAddress.delete(key);
    this.byAddress.set(key, e);
    if (this.byAddress.size > this.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
  }
}
