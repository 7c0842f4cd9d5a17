/** a connection closed sooner than this after CONNACK counts as cut right away */
const SHORT_MS = 30_000;
const WINDOW_MS = 5 * 60_000;
/** this many short connections within the window make the pattern */
const TIMES = 3;

/**
 * Notices the pattern of a session taken over: over MQTT 3.1.1 a broker that gets a second
 * connection with the same client id closes the first without a word, and two gateways with the
 * same `gatewayId` then take the session from each other over and over. Seen from one of them:
 * connections closed by the broker within seconds of being accepted, again and again.
 */
export class TakeoverWatch {
  private connectedAt: number | null = null;
  private shortCloses: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  connected(): void {
    this.connectedAt = this.now();
  }

  /** How long the connection that closed had lasted, in ms (null if it never got a CONNACK). */
  closed(): number | null {
    const at = this.connectedAt;
    this.connectedAt = null;
    if (at === null) return null;
    const now = this.now();
    const lasted = now - at;
    if (lasted < SHORT_MS) this.shortCloses.push(now);
    this.shortCloses = this.shortCloses.filter((t) => now - t < WINDOW_MS);
    return lasted;
  }

  /** whether the connections of the last few minutes look taken over */
  get suspected(): boolean {
    const now = this.now();
    return this.shortCloses.filter((t) => now - t < WINDOW_MS).length >= TIMES;
  }

  /** short enough to count, so a reconnect should not start again from the shortest delay */
  static isShort(lasted: number | null): boolean {
    return lasted !== null && lasted < SHORT_MS;
  }
}
