/**
 * johnny-five 2.1 has no way to stop its components: Motion and Sensor poll on a setInterval they
 * never clear, and a Button held when the gateway stops keeps its hold timer. The tracker notes the
 * intervals started (and cleared) while johnny-five code runs under `run`, so `clearAll` can stop
 * the ones still going when the sensors close. Only live ones are kept: a year of button presses
 * does not grow it.
 */
export class IntervalTracker {
  private readonly live = new Set<NodeJS.Timeout>();

  run<T>(fn: () => T): T {
    const set = globalThis.setInterval;
    const clear = globalThis.clearInterval;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      const t = set(...args);
      this.live.add(t);
      return t;
    }) as typeof setInterval;
    globalThis.clearInterval = ((t: NodeJS.Timeout | string | number | undefined) => {
      if (t && typeof t === 'object') this.live.delete(t);
      clear(t);
    }) as typeof clearInterval;
    try {
      return fn();
    } finally {
      globalThis.setInterval = set;
      globalThis.clearInterval = clear;
    }
  }

  get size(): number {
    return this.live.size;
  }

  clearAll(): void {
    for (const t of this.live) clearInterval(t);
    this.live.clear();
  }
}
