import type { Logger } from './log.ts';

/** What a started part hands back: how to close it. */
export type Close = () => Promise<unknown> | void;

/** how long one part may take to close before the gateway says so and goes on to the next */
export const CLOSE_STEP_MS = 5_000;

/**
 * The parts of a running gateway, closed in the reverse of the order they started (as avvio's
 * onClose hooks are). Each part starts itself and returns its own close; a start that fails part-way
 * closes what had started, newest first, so a failed start leaves no thread, socket or file behind.
 * Each close is bounded: a socket that will not close or a peer that never answers must not keep the
 * audit log and outbox, which close last, from closing.
 */
export class Lifecycle {
  private readonly closes: Array<{ name: string; close: Close; withinMs: number }> = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  /**
   * Starts a part; its close runs when the whole closes (or the start fails after it), given
   * `withinMs` before the gateway goes on without it.
   */
  async start<T>(name: string, start: () => Promise<{ value: T; close: Close }>, withinMs = CLOSE_STEP_MS): Promise<T> {
    const { value, close } = await start();
    this.closes.push({ name, close, withinMs });
    return value;
  }

  /** Adds a close for something already started (a part without a value). */
  onClose(name: string, close: Close): void {
    this.closes.push({ name, close, withinMs: CLOSE_STEP_MS });
  }

  get stopping(): boolean {
    return this.closing !== null;
  }

  /** Closes every part, newest first. Idempotent. Never throws: a failing close is logged and skipped. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    for (const { name, close, withinMs } of this.closes.reverse()) {
      const finished = await within(
        Promise.resolve()
          .then(close)
          .then(undefined, (e: Error) => {
            this.log.warn({ step: `${name} close`, err: e.message }, 'a step of stopping failed; going on');
          }),
        withinMs,
      );
      if (!finished)
        this.log.warn({ step: `${name} close`, afterMs: withinMs }, 'a step of stopping did not finish; going on');
    }
  }
}

/** Whether `done` settles within `ms`; the timer is cleared either way, so it never holds the process. */
export function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    done.then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]).finally(() => clearTimeout(timer));
}
