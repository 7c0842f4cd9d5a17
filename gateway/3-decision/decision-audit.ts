import {
  AuditWindows,
  type AuditEvent,
  type AuditLog,
  type DecisionEvent,
  type FrameOutcome,
} from '../4-records/audit/index.ts';
import type { DecisionAudit } from './decide.ts';

const MAX_UNWRITTEN = 10_000;

/**
 * Where each decision and refusal goes in the audit log, and when it reaches the disk:
 * - every decision (forwards with their record ids), a camera's frames, refusals and outbox drops:
 *   counted in the device's window, recorded as one `window` entry when it ends, synced once per
 *   window. A forward's record is in the outbox, synced before the PUBACK, so a power cut before
 *   the window is written cannot lose it unnoticed: the next start records it from the outbox
 *   (gateway/4-records/audit-recovery.ts);
 * - everything rare (policy, device, start and stop, outage): its own entry, synced at once (AuditLog).
 */
export class DecisionAuditRouter implements DecisionAudit {
  readonly windows: AuditWindows;
  private boundary = 0;
  /** window entries a failed write (a full disk) could not record: tried again at the next window */
  private unwritten: AuditEvent[] = [];

  constructor(
    private readonly audit: AuditLog,
    private readonly windowMs: () => number,
  ) {
    this.windows = new AuditWindows(windowMs);
  }

  /** sees every decision as it is made (the status page's recent activity) */
  onDecision: ((ev: DecisionEvent) => void) | null = null;

  decided(ev: DecisionEvent): Promise<void> {
    this.onDecision?.(ev);
    this.windows.decision(ev);
    return Promise.resolve();
  }

  outboxDropped(deviceId: string, recordId: string, reason: string): void {
    this.windows.outboxDrop(deviceId, recordId, reason);
  }

  frame(deviceId: string, outcome: FrameOutcome): void {
    this.windows.frame(deviceId, outcome);
  }

  refused(deviceId: string, channel: string, code: string, detail: string): void {
    this.windows.refusal(deviceId, channel, code, detail);
  }

  /**
   * Once per window boundary (or at stop, with Infinity): records the windows that ended, in one
   * batch, and syncs the log once, which also makes the unsynced forward entries durable.
   * `now: true` records the open windows at once, cut short (before the outbox compacts).
   */
  async flush(now: number, { now: force = false }: { now?: boolean } = {}): Promise<void> {
    const boundary = Number.isFinite(now) ? Math.floor(now / this.windowMs()) : Number.POSITIVE_INFINITY;
    if (boundary === this.boundary && !force) return;
    if (!force) this.boundary = boundary;
    const at = new Date(Number.isFinite(now) ? now : Date.now());
    const events = [...this.unwritten, ...this.windows.take(now)];
    this.unwritten = [];
    const written = await Promise.allSettled(events.map((e) => this.audit.record(e, at, { sync: false })));
    const failed = written.flatMap((w, i) => (w.status === 'rejected' ? [events[i]!] : []));
    // bounded: a disk that stays full for days must not grow memory without end
    this.unwritten = failed.slice(-MAX_UNWRITTEN);
    await this.audit.sync();
    const first = written.find((w) => w.status === 'rejected');
    if (first) throw first.reason;
  }
}
