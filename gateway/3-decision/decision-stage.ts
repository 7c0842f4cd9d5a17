import type { DecisionEvent } from '../4-records/audit/index.ts';
import type { AuditLog } from '../4-records/audit/index.ts';
import type { DurableOutbox } from '../4-records/outbox/index.ts';
import type { Observation, Snapshot } from '../2-pipeline/index.ts';
import type { GatewayConfig } from '../foundation/config/index.ts';
import type { Close } from '../foundation/lifecycle.ts';
import type { Logger } from '../foundation/log.ts';
import { RepeatedWarnings } from '../foundation/repeated-warnings.ts';
import type { StorageFaults } from '../foundation/storage/storage-faults.ts';
import { CountsAggregator } from './counts.ts';
import { decide, type DecideContext, type DecideExtras } from './decide.ts';
import { DecisionAuditRouter } from './decision-audit.ts';
import { parseEventPayload } from './event-input.ts';
import type { ActivePolicy } from './policy-in-force/index.ts';
import { eventRecordId } from './record-id.ts';
import type { Candidate } from '../../policies/index.ts';

export interface DecisionStageDeps {
  cfg: Readonly<GatewayConfig>;
  active: ActivePolicy;
  salt: string;
  audit: AuditLog;
  outbox: DurableOutbox;
  zoneOf(deviceId: string): string | undefined;
  faults: StorageFaults;
  log: Logger;
  /** each decision as it is made (the status page's recent activity) */
  onDecision?(ev: DecisionEvent): void;
}

/**
 * Where every input becomes a decision: sensor events, camera observations, snapshots and counts
 * windows are evaluated against the policy in force, forwards go to the outbox, and every decision
 * and refusal is recorded (per window for the frequent ones). Closing it records the last, partial
 * windows.
 */
export class DecisionStage {
  readonly counters = {
    refused: {} as Record<string, number>,
    decisions: { forward: 0, withhold: 0 },
  };
  private readonly warnings: RepeatedWarnings;
  private readonly counts: CountsAggregator;
  readonly router: DecisionAuditRouter;
  private readonly ctx: DecideContext;
  private local: Array<(topic: string, payload: string) => void> = [];

  private constructor(private readonly d: DecisionStageDeps) {
    this.warnings = new RepeatedWarnings(d.log);
    this.counts = new CountsAggregator(
      () => d.active.inForce?.loaded.policy.counts ?? { intervalSeconds: 10, classes: ['person', 'vehicle'] },
    );
    const windowMs = () => d.cfg.audit.windowSeconds * 1000;
    this.router = new DecisionAuditRouter(d.audit, windowMs);
    if (d.onDecision) this.router.onDecision = d.onDecision;
    this.ctx = {
      policy: () => d.active.inForce,
      salt: d.salt,
      zoneOf: d.zoneOf,
      // what the policy let out upstream, also for local consumers (never frames, never raw events)
      publishLocal: (topic, payload) => this.local.forEach((f) => f(topic, payload)),
      audit: this.router,
      outbox: d.outbox,
      gatewayId: d.cfg.gatewayId,
      topicPrefix: d.cfg.upstream.topicPrefix,
    };
  }

  /** Starts the stage: its windows close once a second, and the last ones when it closes. */
  static async start(d: DecisionStageDeps): Promise<{ value: DecisionStage; close: Close }> {
    const stage = new DecisionStage(d);
    // deleting a delivered segment forgets its records: the counted decisions about them are recorded
    // first, if a window that may still be open holds them (a drain of old records needs nothing)
    d.outbox.beforeForget = async (newestAt) => {
      if (newestAt >= Date.now() - 2 * d.cfg.audit.windowSeconds * 1000)
        await stage.router.flush(Number.POSITIVE_INFINITY, { now: true });
    };
    d.outbox.on('dropped', (e, reason) => stage.outboxDropped(e.id, e.key, reason));
    const timer = setInterval(() => void stage.flush(Date.now()), 1000);
    return {
      value: stage,
      close: async () => {
        clearInterval(timer);
        await stage.flush(Number.POSITIVE_INFINITY); // the last, partial window of each camera
      },
    };
  }

  /** Where forwarded records are also published for local consumers (the embedded broker). */
  onLocal(publish: (topic: string, payload: string) => void): void {
    this.local.push(publish);
  }

  /** A sensor's event, from MQTT or a GPIO pin: parsed, time-checked, decided. */
  async event(deviceId: string, kind: 'camera' | 'sensor', payload: Buffer): Promise<void> {
    const input = parseEventPayload(payload, Date.now(), this.d.cfg.events);
    if (!input.ok) {
      // accepted and dropped with a reason: resending a malformed event would not make it valid
      this.refused(deviceId, 'events', input.code, input.detail);
      return;
    }
    const ev = input.event;
    const recordId = eventRecordId(this.d.salt, deviceId, payload);
    // not caught: a record not on disk is not acknowledged, and the device sends it again
    const d = await decide(
      this.ctx,
      { deviceId, deviceKind: kind, recordType: ev.type, fields: { ...ev } },
      { recordId },
    );
    this.counters.decisions[d.action]++;
  }

  /** A processed frame: counted in its camera's window, and its observation (and snapshot, when due) decided. */
  observed(o: Observation, snapshot: Snapshot | null, reused: boolean): void {
    const found = { redactions: o.redactions, redactionMethods: o.redactionMethods, models: o.models };
    this.router.frame(o.deviceId, { processed: true, reused, ...found });
    this.counts.add(o);
    const camera = { deviceId: o.deviceId, deviceKind: 'camera' } as const;
    void Promise.all([
      ...(snapshot
        ? [this.decide({ ...camera, recordType: 'snapshot', fields: snapshotFields(o, snapshot) }, found)]
        : []),
      this.decide({ ...camera, recordType: 'observation', fields: observationFields(o) }, found),
    ]).catch((e: Error) => this.d.faults.failed(e));
  }

  /** A frame withheld before it was decided (no models, a queue full, a timeout): counted with its reason. */
  frameDropped(deviceId: string, code: string, detail: string): void {
    this.warnings.warn(`frame-withheld ${deviceId} ${code}`, { deviceId, code, detail }, 'frame withheld');
    this.router.frame(deviceId, { processed: false, code });
  }

  /** An input refused: counted, logged (rate-limited) and recorded against its device. */
  refused(deviceId: string, channel: string, code: string, detail: string): void {
    this.countRefusal(code);
    this.warnings.warn(`${code} ${deviceId}`, { deviceId, channel, code, detail }, 'input refused');
    this.router.refused(deviceId, channel, code, detail);
  }

  /** A connection cut by a hard limit: counted, logged, and recorded against the device when known. */
  limitBroken(code: string, detail: string, remoteAddress: string | undefined, deviceId: string | null): void {
    this.countRefusal(code);
    this.warnings.warn(
      `${code} ${remoteAddress ?? ''} ${deviceId ?? ''}`,
      { code, detail, remoteAddress, deviceId },
      'connection cut: limit broken',
    );
    if (deviceId) this.router.refused(deviceId, 'mqtt', code, detail);
  }

  /** `veilgate_broker_refused_total{code}` and the status page read these */
  countRefusal(code: string): void {
    this.counters.refused[code] = (this.counters.refused[code] ?? 0) + 1;
  }

  /** Records every device's open window now, cut short, and waits until it is on disk. */
  async recordWindowsNow(): Promise<void> {
    await this.router.flush(Number.POSITIVE_INFINITY, { now: true });
    await this.d.audit.drain();
  }

  private outboxDropped(recordId: string, deviceId: string, reason: string): void {
    this.warnings.warn(
      `outbox-drop ${reason}`,
      { recordId, deviceId, reason },
      'approved record dropped from the outbox',
    );
    this.router.outboxDropped(deviceId, recordId, reason);
  }

  /** Every camera's counts window closes in the same second: their records share one outbox commit. */
  private async flush(now: number): Promise<void> {
    await Promise.all(
      this.counts.flush(now).map(({ candidate, redactions, models }) => this.decide(candidate, { redactions, models })),
    );
    await this.router.flush(now).catch((e: Error) => this.d.faults.failed(e));
  }

  private async decide(candidate: Candidate, extras: DecideExtras): Promise<void> {
    try {
      const d = await decide(this.ctx, candidate, extras);
      this.counters.decisions[d.action]++;
    } catch (e) {
      this.d.faults.failed(e as Error);
    }
  }
}

/** A redacted snapshot as the policy sees it: the image only as base64 of the redacted JPEG. */
function snapshotFields(o: Observation, s: Snapshot): Record<string, unknown> {
  return { at: o.at, width: s.width, height: s.height, jpeg: s.jpeg.toString('base64') };
}

/** Per-frame facts for the policy: counts and normalized boxes, never pixels. */
function observationFields(o: Observation): Record<string, unknown> {
  return { at: o.at, ...o.counts, boxes: o.detections.map((d) => ({ cls: d.cls, score: d.score, ...d.box })) };
}
