import type { RateLimitState } from './candidate.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per (rule, device): `max` records at once, refilled at max/perSeconds. One entry
 * per pair the gateway has seen, so memory is bounded by rules x devices. A new policy version
 * starts with fresh buckets.
 */
export class RateLimits implements RateLimitState {
  private readonly buckets = new Map<string, Bucket>();

  take(keys: ReadonlyArray<{ key: string; max: number; perSeconds: number }>, now: number): boolean {
    const current = keys.map(({ key, max, perSeconds }) => {
      const b = this.buckets.get(key) ?? { tokens: max, at: now };
      const refill = (Math.max(0, now - b.at) / 1000) * (max / perSeconds);
      return { key, bucket: { tokens: Math.min(max, b.tokens + refill), at: now } };
    });
    if (current.some((c) => c.bucket.tokens < 1)) {
      for (const c of current) this.buckets.set(c.key, c.bucket);
      return false;
    }
    for (const c of current) this.buckets.set(c.key, { tokens: c.bucket.tokens - 1, at: now });
    return true;
  }
}
