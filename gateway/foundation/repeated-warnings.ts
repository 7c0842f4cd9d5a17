import type { Logger } from './log.ts';

/**
 * Warnings that can repeat thousands of times a minute (a connection flood, a device retrying in a
 * loop) are logged once per key and window; the rest are counted and the count is logged when the
 * window ends with another one. An SD card must not fill with the same line.
 */
export class RepeatedWarnings {
  private readonly seen = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = 60_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string, now = Date.now()): void {
    const s = this.seen.get(key);
    if (s && now < s.until) {
      s.suppressed++;
      return;
    }
    this.log.warn(s?.suppressed ? { ...fields, repeatedSinceLastLine: s.suppressed } : fields, msg);
    // bounded: a flood of distinct keys must not grow this map without end
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.set(key, { until: now + this.windowMs, suppressed: 0 });
  }
}
