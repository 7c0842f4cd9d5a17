import type { AddressInfo } from 'node:net';
import type { BrokerPart } from '../../1-inputs/broker/index.ts';
import type { GpioPart } from '../../1-inputs/gpio/index.ts';
import type { RtspCamera } from '../../1-inputs/rtsp/index.ts';
import { framesWarnings, type FrameIngest, type FrameRunner } from '../../2-pipeline/index.ts';
import type { DecisionStage } from '../../3-decision/decision-stage.ts';
import type { PolicyPart } from '../../3-decision/policy-in-force/index.ts';
import type { AuditLog } from '../../4-records/audit/index.ts';
import { outboxWarnings } from '../../4-records/open-records.ts';
import type { DurableOutbox } from '../../4-records/outbox/index.ts';
import { uplinkWarnings, type Uplink } from '../../5-uplink/index.ts';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import type { DeviceRegistry } from '../../foundation/registry/index.ts';
import type { StorageFaults } from '../../foundation/storage/storage-faults.ts';
import { deviceStates, gatewayStatus, type DeviceSources } from './gateway-status.ts';
import type { HttpLogins } from './logins.ts';
import { createMetricsRegistry } from './metrics.ts';
import type { Previews } from './previews.ts';
import type { RecentActivity } from './recent-activity.ts';
import { startHttp } from './start-http.ts';
import type { GatewayStatus } from './status.ts';

/** The running parts the status page and /metrics read. */
export interface RunningParts {
  cfg: Readonly<GatewayConfig>;
  startedAt: Date;
  registry: DeviceRegistry;
  audit: AuditLog;
  outbox: DurableOutbox;
  frames: FrameRunner & { readonly models: string[] | null };
  policy: PolicyPart;
  uplink: Uplink;
  decisions: DecisionStage;
  ingest: FrameIngest;
  broker: BrokerPart;
  rtsp: RtspCamera[];
  gpio: GpioPart;
  faults: StorageFaults;
  activity: RecentActivity;
  previews: Previews;
  zoneOf(id: string): string | undefined;
  stopping(): boolean;
}

/** Who the gateway knows, from the parts that know them; reading it asks for no previews. */
export function devicesOf(p: RunningParts, now: number): GatewayStatus['devices'] {
  return deviceStates(deviceSources(p, now));
}

function deviceSources(p: RunningParts, now: number): DeviceSources {
  return {
    registered: p.registry.list(),
    connected: p.broker.connectedIds(),
    rtsp: p.rtsp,
    gpio: p.gpio.devices(),
    health: p.ingest.health(now),
    hasPreview: (id) => p.previews.has(id),
    zoneOf: p.zoneOf,
  };
}

/** Each part's warnings, in the order the status page shows them. */
export function warningsOf(p: RunningParts): Array<() => string[]> {
  return [
    () => p.policy.warnings(),
    () => framesWarnings(p.frames),
    () => p.broker.warnings(),
    () => uplinkWarnings(p.uplink, p.cfg.gatewayId),
    () => outboxWarnings(p.outbox),
    () => p.gpio.warnings(),
    () => p.faults.warnings(),
  ];
}

/** The gateway's status, each section from the part that owns it. Asking for it keeps previews coming. */
export function statusOf(p: RunningParts): (now: number) => GatewayStatus {
  return (now) => {
    p.previews.watched(now);
    return gatewayStatus(
      {
        gateway: { id: p.cfg.gatewayId, startedAt: p.startedAt },
        warnings: warningsOf(p),
        policy: () => p.policy.status(),
        activity: p.activity,
        devices: () => deviceSources(p, now),
        outbox: p.outbox,
        uplink: p.uplink,
        decisions: p.decisions.counters.decisions,
        audit: p.audit,
      },
      now,
    );
  };
}

/** The status page, /healthz, /readyz and /metrics, when enabled: its address, or null. */
export async function startStatusPage(
  p: RunningParts,
  logins: HttpLogins | null,
  log: Logger,
): Promise<{ value: AddressInfo | null; close: Close }> {
  const status = statusOf(p);
  const policy = () => p.policy.policy;
  const metrics = createMetricsRegistry({
    outbox: p.outbox,
    uplink: p.uplink,
    decisions: p.decisions.counters.decisions,
    frames: p.ingest.stats,
    devicesOnline: () => devicesOf(p, Date.now()).filter((d) => d.online).length,
    broker: { connections: () => p.broker.broker.connectedClients, refused: p.decisions.counters.refused },
    policy: () => ({ inForce: policy() !== null, version: policy()?.policy.version ?? 0 }),
    audit: p.audit,
    storageErrors: () => p.faults.count,
    motion: p.cfg.vision.motion.enabled ? p.ingest.stats : null,
  });
  const sources = {
    status: () => status(Date.now()),
    preview: (id: string) => p.previews.get(id),
    metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
    ready: () => {
      const reasons = [
        ...(policy() ? [] : ['no valid policy is in force']),
        ...(p.frames.models ? [] : ['the vision models are not loaded']),
        ...(p.stopping() ? ['stopping'] : []),
      ];
      return { ready: reasons.length === 0, reasons };
    },
  };
  return startHttp(p.cfg, sources, logins, log);
}
