import { newRecordId } from './record-id.ts';
import { localTopic, upstreamRecordTopic, UPSTREAM_SCHEMA_VERSION } from '../../devices/index.ts';
import { evaluate, policyRef, withZone, type Candidate, type Decision } from '../../policies/index.ts';
import type { DecisionEvent } from '../4-records/audit/index.ts';
import { OutboxFullError, type OutboxStore } from '../4-records/outbox/index.ts';
import type { UpstreamRecord } from '../4-records/queued-record.ts';
import type { PolicyInForce } from './policy-in-force/index.ts';

export interface DecideContext {
  policy(): PolicyInForce | null;
  /** the key of hash transforms (gateway/3-decision/policy-in-force/salt.ts) */
  salt: string;
  /** the zone a device is registered in */
  zoneOf(deviceId: string): string | undefined;
  /** publishes a forwarded record on the embedded broker for local consumers */
  publishLocal?(topic: string, payload: string): void;
  audit: DecisionAudit;
  outbox: OutboxStore;
  gatewayId: string;
  topicPrefix: string;
}

/**
 * Where decisions are recorded: the gateway counts frequent ones per window and writes the rest
 * (decision-audit.ts).
 */
export interface DecisionAudit {
  /** resolves once the decision is recorded as far as the gateway promises for its kind */
  decided(ev: DecisionEvent): Promise<void>;
  outboxDropped(deviceId: string, recordId: string, reason: string): void;
}

/** What a decision records besides the candidate: what was redacted and by which models, and the record's id. */
export interface DecideExtras {
  redactions?: Record<string, number>;
  redactionMethods?: Record<string, string>;
  models?: string[];
  recordId?: string;
}

/**
 * Evaluates a candidate against the active policy and records the outcome. A forward is on disk in
 * the outbox before this resolves, and counted in its device's audit window with its record id; a
 * withhold is counted with its reason.
 * The record id reveals nothing the policy rounded away: random, or for a device's event a keyed hash
 * (gateway/3-decision/record-id.ts).
 */
export async function decide(
  ctx: DecideContext,
  c: Candidate,
  { recordId, ...extra }: DecideExtras = {},
): Promise<Decision> {
  const inForce = ctx.policy(); // read once: a reload mid-decision cannot mix two policies
  const loaded = inForce?.loaded ?? null;
  const candidate = withZone(c, ctx.zoneOf(c.deviceId));
  const decision = evaluate(loaded?.policy ?? null, candidate, {
    now: Date.now(),
    salt: ctx.salt,
    limits: inForce?.limits,
  });
  const ref = loaded ? policyRef(loaded) : null;
  const base = {
    type: 'decision' as const,
    deviceId: c.deviceId,
    recordType: c.recordType,
    rules: decision.rules,
    policy: ref,
    ...extra,
  };
  if (decision.action === 'withhold') {
    await ctx.audit.decided({ ...base, action: 'withhold', reason: decision.reason });
    return decision;
  }
  const record: UpstreamRecord = {
    schemaVersion: UPSTREAM_SCHEMA_VERSION,
    id: recordId ?? newRecordId(),
    gatewayId: ctx.gatewayId,
    deviceId: c.deviceId,
    recordType: c.recordType,
    policy: ref!,
    fields: decision.fields,
  };
  const topic = upstreamRecordTopic(ctx.topicPrefix, ctx.gatewayId, c.deviceId, c.recordType);
  const payload = JSON.stringify(record);
  // both written at once (one fsync wait, not two); a refused put is audited as a drop right after
  const [stored, audited] = await Promise.allSettled([
    ctx.outbox.put({ id: record.id, topic, payload, key: c.deviceId, at: Date.now() }),
    ctx.audit.decided({ ...base, action: 'forward', fields: Object.keys(decision.fields), recordId: record.id }),
  ]);
  if (stored.status === 'rejected') {
    const reason = stored.reason instanceof OutboxFullError ? 'OUTBOX_FULL' : 'STORAGE_ERROR';
    ctx.audit.outboxDropped(c.deviceId, record.id, reason);
    throw stored.reason;
  }
  if (audited.status === 'rejected') throw audited.reason;
  ctx.publishLocal?.(localTopic(c.deviceId, c.recordType), payload);
  return decision;
}
