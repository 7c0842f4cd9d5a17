import { headSignedBy } from '../../4-records/audit/index.ts';
import type { GatewayMessages } from './fleet-messages.ts';
import { checkHeadArchive, readAuditKey, type ArchiveCheck } from './head-archive.ts';

/** A health report older than this many of its own intervals means the gateway stopped reporting. */
const STALE_INTERVALS = 3;

/** One gateway as the fleet view shows it. Ages are seconds before the view was made. */
export interface FleetRow {
  gatewayId: string;
  /** its retained status; null when it never said */
  online: boolean | null;
  version: string | null;
  healthAgeSeconds: number | null;
  healthStale: boolean;
  policy: { id: string; version: number; source: string; sha256: string } | null;
  rollout: { outcome: string; offered: string | null; reason: string | null } | null;
  head: { seq: number; at: string; signature: 'valid' | 'invalid' | 'no key' } | null;
  archive: ArchiveCheck | null;
  outbox: { depth: number; oldestAgeSeconds: number | null; dropped: number } | null;
  lastRecordAgeSeconds: number | null;
  devices: { online: number; known: number } | null;
  warnings: string[];
}

export interface FleetSummary {
  gateways: number;
  online: number;
  offline: number;
  stale: number;
  policies: Record<string, number>;
  rejected: number;
  backlog: number;
  withWarnings: number;
  brokenArchives: number;
}

const age = (now: number, iso: string | null | undefined) =>
  iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : null;

/** Every gateway, sorted by id, with what is wrong with each in words. */
export function fleetView(
  fleet: ReadonlyMap<string, GatewayMessages>,
  { now, archives }: { now: number; archives?: ReadonlyMap<string, string[]> },
): FleetRow[] {
  return [...fleet.values()]
    .sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : a.gatewayId > b.gatewayId ? 1 : 0))
    .map((g) => gatewayRow(g, now, archives?.get(g.gatewayId)));
}

function gatewayRow(g: GatewayMessages, now: number, archived: string[] | undefined): FleetRow {
  const h = g.health;
  const healthAge = age(now, h?.at);
  const stale = h !== undefined && healthAge! > STALE_INTERVALS * h.everySeconds;
  const key = readAuditKey(g.auditKey);
  // a gateway without fleet policies reports no policy status: its health says what is in force
  const inForce = g.policy ? g.policy.inForce : (h?.policy ?? null);
  const row: FleetRow = {
    gatewayId: g.gatewayId,
    online: g.status === undefined ? null : g.status === 'online',
    version: h?.version ?? null,
    healthAgeSeconds: healthAge,
    healthStale: stale,
    policy: inForce && { id: inForce.id, version: inForce.version, source: inForce.source, sha256: inForce.sha256 },
    rollout: g.policy
      ? {
          outcome: g.policy.outcome,
          offered: g.policy.offered ? `${g.policy.offered.id ?? '?'} v${g.policy.offered.version ?? '?'}` : null,
          reason: g.policy.reason,
        }
      : null,
    head: g.head
      ? {
          seq: g.head.seq,
          at: g.head.at,
          signature: key ? (headSignedBy(g.head, key.key, key.fingerprint) ? 'valid' : 'invalid') : 'no key',
        }
      : null,
    archive: archived ? checkHeadArchive(archived, key, g.head) : null,
    outbox: h
      ? { depth: h.outbox.depth, oldestAgeSeconds: age(now, h.outbox.oldestAt), dropped: h.outbox.dropped }
      : null,
    lastRecordAgeSeconds: age(now, h?.lastRecordAt),
    devices: h ? { ...h.devices } : null,
    warnings: [],
  };
  row.warnings = [
    ...(g.status === 'online' && stale
      ? [`no health report for ${healthAge} s: it says online but does not report`]
      : []),
    ...((g.policy || h) && !inForce ? ['no policy in force: it forwards nothing'] : []),
    ...(g.policy?.outcome === 'rejected' ? [`refused ${row.rollout!.offered}: ${g.policy.reason}`] : []),
    ...(row.head?.signature === 'invalid' ? ['its audit head is not signed by its audit key'] : []),
    ...(row.archive?.problem ? [row.archive.problem] : []),
    ...(h?.warnings ?? []),
    ...g.unreadable.map((u) => `unreadable ${u}`),
  ];
  return row;
}

export function fleetSummary(rows: FleetRow[]): FleetSummary {
  const policies: Record<string, number> = {};
  for (const r of rows) {
    const name = r.policy ? `${r.policy.id} v${r.policy.version}` : 'none';
    policies[name] = (policies[name] ?? 0) + 1;
  }
  return {
    gateways: rows.length,
    online: rows.filter((r) => r.online === true).length,
    offline: rows.filter((r) => r.online === false).length,
    stale: rows.filter((r) => r.healthStale).length,
    policies,
    rejected: rows.filter((r) => r.rollout?.outcome === 'rejected').length,
    backlog: rows.reduce((n, r) => n + (r.outbox?.depth ?? 0), 0),
    withWarnings: rows.filter((r) => r.warnings.length > 0).length,
    brokenArchives: rows.filter((r) => r.archive && !r.archive.continuous).length,
  };
}
