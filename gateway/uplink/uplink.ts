/** What the gateway needs from whatever carries records upstream. */
export interface Uplink {
  start(): Promise<void>;
  /** stops sending; entries in flight stay in the outbox and go out after the next start */
  stop(): Promise<void>;
  readonly connected: boolean;
  readonly stats: { delivered: number; reconnects: number; retried: number };
}
