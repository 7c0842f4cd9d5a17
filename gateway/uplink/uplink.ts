/** What the gateway needs from whatever carries records upstream. */
export interface Uplink {
  start(): Promise<void>;
  /** stops sending; entries in flight stay in the outbox and go out after the next start */
  stop(): Promise<void>;
  readonly connected: boolean;
  /** the agency's broker keeps cutting the connection right after accepting it (uplink/takeover.ts) */
  readonly takenOver: boolean;
  readonly stats: { delivered: number; reconnects: number; retried: number };
  /** Publishes the audit chain head, retained (now if connected, and again on every connect). */
  publishAuditHead(payload: string): void;
  /** Called on each connect and disconnect (for the audit log). */
  onConnectionChange: ((connected: boolean) => void) | null;
}
