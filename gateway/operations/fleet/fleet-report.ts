import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from '../../foundation/storage/jsonl-log.ts';
import { ArchivedEvent, archiveFiles } from './archive.ts';
import { checkHeadArchive, readAuditKey, readHeadArchives, type ArchiveCheck } from './head-archive.ts';

/** What the fleet did in a period, from the agency's archive: what the gateways sent, not their own word. */
export interface FleetReport {
  generatedAt: string;
  since: string | null;
  until: string | null;
  gateways: string[];
  records: { total: number; byGateway: Record<string, Record<string, number>>; types: string[] };
  /** each policy version and the gateways that had it in force, first and last seen */
  policies: Array<{ policy: string; gateways: number; from: string; until: string }>;
  /** each gateway's changes of policy, in order */
  policyChanges: Array<{ at: string; gatewayId: string; from: string | null; to: string }>;
  /** from an offline status to the next online one (until: null, still offline at the end of the period) */
  outages: Array<{ gatewayId: string; from: string; until: string | null; seconds: number }>;
  /** whether each gateway's archived audit heads hold together */
  audit: Array<{ gatewayId: string } & ArchiveCheck>;
  /** archive lines that could not be read */
  unreadableLines: number;
}

const policyName = (p: { id: string; version: number } | null) => (p ? `${p.id} v${p.version}` : 'none');

/** Each gateway's archived heads, and its key when the archive has it. */
async function headsAndKeys(dir: string): Promise<Map<string, { heads: string[]; key: string | null }>> {
  const files = archiveFiles(dir);
  // an archive with no heads folder yet (or one that cannot be listed) has no audit section
  const archives = await access(files.heads).then(
    () => readHeadArchives(files.heads),
    () => new Map<string, string[]>(),
  );
  const out = new Map<string, { heads: string[]; key: string | null }>();
  for (const [id, heads] of archives)
    out.set(id, { heads, key: await readFile(join(files.keys, `${id}.pem`), 'utf8').catch(() => null) });
  return out;
}

/** Reads the archive `fleet archive` keeps and counts what happened between since and until. */
export async function collectFleetReport(
  dir: string,
  { since, until, now = new Date() }: { since?: Date; until?: Date; now?: Date },
): Promise<FleetReport> {
  const { lines, corrupt } = await readLines(archiveFiles(dir).events);
  const from = since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = until?.getTime() ?? Number.POSITIVE_INFINITY;
  const end = Math.min(to, now.getTime());
  let unreadable = corrupt.length;
  const events: ArchivedEvent[] = [];
  for (const l of lines) {
    const r = ArchivedEvent.safeParse(l);
    if (!r.success) unreadable++;
    else if (Date.parse(r.data.at) >= from && Date.parse(r.data.at) <= to) events.push(r.data);
  }
  const gateways = new Set<string>();
  const byGateway: Record<string, Record<string, number>> = {};
  const types = new Set<string>();
  const seenIds = new Set<string>();
  const inForce = new Map<string, string>();
  const policies = new Map<string, { gateways: Set<string>; from: string; until: string }>();
  const policyChanges: FleetReport['policyChanges'] = [];
  const offlineSince = new Map<string, string>();
  const outages: FleetReport['outages'] = [];
  const seePolicy = (gatewayId: string, at: string, name: string) => {
    const p = policies.get(name) ?? { gateways: new Set<string>(), from: at, until: at };
    p.gateways.add(gatewayId);
    p.until = at;
    policies.set(name, p);
    const before = inForce.get(gatewayId) ?? null;
    if (before !== name) policyChanges.push({ at, gatewayId, from: before, to: name });
    inForce.set(gatewayId, name);
  };
  for (const e of events) {
    gateways.add(e.gatewayId);
    if (e.kind === 'record') {
      // QoS 1 may deliver a record twice: counted once, by its id
      if (seenIds.has(e.id)) continue;
      seenIds.add(e.id);
      types.add(e.recordType);
      const g = (byGateway[e.gatewayId] ??= {});
      g[e.recordType] = (g[e.recordType] ?? 0) + 1;
      seePolicy(e.gatewayId, e.at, policyName(e.policy));
    } else if (e.kind === 'policy') seePolicy(e.gatewayId, e.at, policyName(e.policy));
    else if (!e.online && !offlineSince.has(e.gatewayId)) offlineSince.set(e.gatewayId, e.at);
    else if (e.online && offlineSince.has(e.gatewayId)) {
      const start = offlineSince.get(e.gatewayId)!;
      offlineSince.delete(e.gatewayId);
      outages.push({
        gatewayId: e.gatewayId,
        from: start,
        until: e.at,
        seconds: (Date.parse(e.at) - Date.parse(start)) / 1000,
      });
    }
  }
  for (const [gatewayId, start] of offlineSince)
    outages.push({ gatewayId, from: start, until: null, seconds: Math.max(0, (end - Date.parse(start)) / 1000) });
  const audit: FleetReport['audit'] = [];
  for (const [gatewayId, { heads, key }] of await headsAndKeys(dir)) {
    gateways.add(gatewayId);
    // an unreadable key checks nothing: the heads are reported as unchecked
    audit.push({ gatewayId, ...checkHeadArchive(heads, readAuditKey(key), undefined) });
  }
  return {
    generatedAt: now.toISOString(),
    since: since?.toISOString() ?? null,
    until: until?.toISOString() ?? null,
    gateways: [...gateways].sort(),
    records: { total: seenIds.size, byGateway, types: [...types].sort() },
    policies: [...policies].map(([policy, p]) => ({ policy, gateways: p.gateways.size, from: p.from, until: p.until })),
    policyChanges,
    outages,
    audit: audit.sort((a, b) => a.gatewayId.localeCompare(b.gatewayId)),
    unreadableLines: unreadable,
  };
}
