import { secretChecksRun } from '../../foundation/registry/secret.ts';
import { Counter, Gauge, Registry } from 'prom-client';
import type { OutboxDropReason } from '../../4-records/outbox/index.ts';

/** What the gateway exposes; read at scrape time, so nothing is updated per message. */
export interface MetricSources {
  outbox: { size: number; bytes: number; oldestAt: number | null; drops: Partial<Record<OutboxDropReason, number>> };
  uplink: { connected: boolean; stats: { delivered: number; reconnects: number; retried: number } };
  decisions: { forward: number; withhold: number };
  frames: { processed: number; dropped: Partial<Record<string, number>> };
  devicesOnline: () => number;
  broker: { connections: () => number; refused: Record<string, number> };
  policy: () => { inForce: boolean; version: number };
  audit: { chainHead: { seq: number } };
  storageErrors: () => number;
  /** frames the detector ran on, and frames whose detections were reused because nothing moved */
  motion: { detected: number; reused: number } | null;
}

/** A counter whose value is read from a source at scrape time. */
function counterFrom(
  reg: Registry,
  name: string,
  help: string,
  read: () => Record<string, number> | number,
  labelName?: string,
): void {
  new Counter({
    name,
    help,
    registers: [reg],
    labelNames: labelName ? [labelName] : [],
    collect() {
      this.reset();
      const v = read();
      if (typeof v === 'number') this.inc(v);
      else for (const [label, n] of Object.entries(v)) this.inc({ [labelName!]: label }, n);
    },
  });
}

function gaugeFrom(reg: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [reg],
    collect() {
      this.set(read());
    },
  });
}

export function createMetricsRegistry(m: MetricSources, now: () => number = Date.now): Registry {
  const reg = new Registry();
  gaugeFrom(reg, 'veilgate_outbox_depth', 'approved records waiting for the uplink', () => m.outbox.size);
  gaugeFrom(reg, 'veilgate_outbox_bytes', 'bytes of approved records waiting for the uplink', () => m.outbox.bytes);
  gaugeFrom(reg, 'veilgate_outbox_oldest_age_seconds', 'age of the oldest waiting record (0 when empty)', () =>
    m.outbox.oldestAt === null ? 0 : (now() - m.outbox.oldestAt) / 1000,
  );
  gaugeFrom(reg, 'veilgate_upstream_connected', '1 when connected to the agency broker', () =>
    m.uplink.connected ? 1 : 0,
  );
  gaugeFrom(
    reg,
    'veilgate_devices_online',
    'devices online: MQTT devices connected, RTSP cameras streaming, GPIO sensors readable',
    m.devicesOnline,
  );
  counterFrom(
    reg,
    'veilgate_uplink_delivered_total',
    'records acknowledged by the agency broker',
    () => m.uplink.stats.delivered,
  );
  counterFrom(
    reg,
    'veilgate_uplink_retried_total',
    'records published again after a reconnect',
    () => m.uplink.stats.retried,
  );
  counterFrom(
    reg,
    'veilgate_uplink_reconnects_total',
    'reconnect attempts to the agency broker',
    () => m.uplink.stats.reconnects,
  );
  counterFrom(
    reg,
    'veilgate_outbox_dropped_total',
    'approved records dropped before delivery, by reason',
    () => m.outbox.drops as Record<string, number>,
    'reason',
  );
  counterFrom(reg, 'veilgate_decisions_total', 'policy decisions, by action', () => ({ ...m.decisions }), 'action');
  counterFrom(reg, 'veilgate_frames_processed_total', 'camera frames redacted and described', () => m.frames.processed);
  counterFrom(
    reg,
    'veilgate_frames_dropped_total',
    'camera frames withheld, by reason',
    () => m.frames.dropped as Record<string, number>,
    'reason',
  );
  gaugeFrom(reg, 'veilgate_broker_connections', 'MQTT clients connected to the embedded broker', m.broker.connections);
  counterFrom(
    reg,
    'veilgate_broker_refused_total',
    'connections and messages refused, by code',
    () => ({ ...m.broker.refused }),
    'code',
  );
  gaugeFrom(reg, 'veilgate_policy_in_force', '1 when a valid policy is in force (0: nothing is forwarded)', () =>
    m.policy().inForce ? 1 : 0,
  );
  gaugeFrom(reg, 'veilgate_policy_version', 'version of the policy in force (0 when none)', () => m.policy().version);
  gaugeFrom(reg, 'veilgate_audit_seq', 'sequence number of the audit chain head', () => m.audit.chainHead.seq);
  counterFrom(
    reg,
    'veilgate_detections_total',
    'frames by whether the detector ran or, nothing having moved, its last detections were reused',
    (): Record<string, number> => (m.motion ? { detected: m.motion.detected, reused: m.motion.reused } : {}),
    'outcome',
  );
  counterFrom(reg, 'veilgate_storage_errors_total', 'failed writes to the audit log or outbox', m.storageErrors);
  counterFrom(
    reg,
    'veilgate_login_checks_total',
    'password checks (scrypt) run for MQTT and status page logins: the CPU that logins, guessing included, cost',
    secretChecksRun,
  );
  return reg;
}
