import { UPSTREAM_SCHEMA_VERSION, type GatewayHealth } from '../../../devices/index.ts';
import { policyRef } from '../../../policies/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import { VERSION } from '../../foundation/version.ts';
import { devicesOf, warningsOf, type RunningParts } from '../http/index.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the fleet view is told of this gateway: counts and times, from the parts that own them. */
export function gatewayHealth(p: RunningParts, now = Date.now()): GatewayHealth {
  const devices = devicesOf(p, now);
  const inForce = p.policy.active.inForce;
  return {
    schemaVersion: UPSTREAM_SCHEMA_VERSION,
    gatewayId: p.cfg.gatewayId,
    at: new Date(now).toISOString(),
    version: VERSION,
    startedAt: p.startedAt.toISOString(),
    everySeconds: p.cfg.upstream.healthSeconds,
    outbox: {
      depth: p.outbox.size,
      bytes: p.outbox.bytes,
      oldestAt: iso(p.outbox.oldestAt),
      dropped: Object.values(p.outbox.drops).reduce((a, b) => a + (b ?? 0), 0),
    },
    policy: inForce && { ...policyRef(inForce.loaded), source: inForce.origin.source },
    lastRecordAt: iso(p.uplink.stats.lastDeliveredAt),
    devices: { online: devices.filter((d) => d.online).length, known: devices.length },
    warnings: warningsOf(p)
      .flatMap((w) => w())
      .slice(0, 50),
  };
}

/**
 * Publishes the health at once, at every connect and every `upstream.healthSeconds`. Retained, so the
 * fleet view reads every gateway's latest without waiting.
 */
export function startHealthReports(p: RunningParts): Close {
  p.uplink.healthReport = () => JSON.stringify(gatewayHealth(p));
  p.uplink.publishHealth();
  const timer = setInterval(() => p.uplink.publishHealth(), p.cfg.upstream.healthSeconds * 1000).unref();
  return () => {
    clearInterval(timer);
    p.uplink.healthReport = null;
  };
}
