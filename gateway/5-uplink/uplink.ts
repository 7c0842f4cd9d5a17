/** What the gateway needs from whatever carries records upstream. */
export interface Uplink {
  start(): Promise<void>;
  /** stops sending; entries in flight stay in the outbox and go out after the next start */
  stop(): Promise<void>;
  readonly connected: boolean;
  /** the agency's broker keeps cutting the connection right after accepting it (uplink/takeover.ts) */
  readonly takenOver: boolean;
  /** lastDeliveredAt: when the agency's broker last acknowledged a record (ms since the epoch) */
  readonly stats: { delivered: number; reconnects: number; retried: number; lastDeliveredAt: number | null };
  /** Publishes the audit chain head, retained (now if connected, and again on every connect). */
  publishAuditHead(payload: string): void;
  /** Publishes what the gateway did with the last fleet policy, retained (now if connected, again on every connect). */
  publishPolicyStatus(payload: string): void;
  /** The gateway's health for the fleet view, made fresh when published: at every connect, and on publishHealth. */
  healthReport: (() => string) | null;
  /** Publishes the health now, retained, if connected. */
  publishHealth(): void;
  /** When set, the uplink subscribes to the fleet's policies on every connect and hands each message here. */
  onFleetPolicy: ((payload: Buffer) => void) | null;
  /** Called on each connect and disconnect (for the audit log). */
  onConnectionChange: ((connected: boolean) => void) | null;
}
