import { queryAudit, type AuditEntry } from '../4-records/audit/index.ts';

export interface TalliedDecision {
  deviceId: string;
  recordType: string;
  action: 'forward' | 'withhold';
  reason: string | null;
  policy: { id: string; version: number; sha256: string } | null;
  count: number;
  at: string;
}

/**
 * What the audit chain says happened, with each device's windows expanded into counts, for tests to check against what
 * was sent.
 */
export interface AuditTally {
  entries: AuditEntry[];
  decisions: TalliedDecision[];
  refused: Array<{ deviceId: string; channel: string; code: string; count: number }>;
  framesWithheld: Array<{ deviceId: string; code: string; count: number }>;
  outboxDrops: Array<{ deviceId: string; reason: string; count: number }>;
  framesProcessed: Record<string, number>;
  redactions: Record<string, Record<string, number>>;
  redactionMethods: Record<string, Record<string, string>>;
  models: Record<string, string[]>;
}

export async function tallyAudit(auditDir: string, deviceId?: string): Promise<AuditTally> {
  const t: AuditTally = {
    entries: [],
    decisions: [],
    refused: [],
    framesWithheld: [],
    outboxDrops: [],
    framesProcessed: {},
    redactions: {},
    redactionMethods: {},
    models: {},
  };
  const addRedactions = (
    id: string,
    r: Record<string, number> | undefined,
    m: Record<string, string> | undefined,
    models: string[] | undefined,
  ) => {
    const into = (t.redactions[id] ??= {});
    for (const [cls, n] of Object.entries(r ?? {})) into[cls] = (into[cls] ?? 0) + n;
    Object.assign((t.redactionMethods[id] ??= {}), m ?? {});
    if (models) t.models[id] = [...new Set([...(t.models[id] ?? []), ...models])];
  };
  for await (const e of queryAudit(auditDir, { deviceId })) {
    t.entries.push(e);
    const ev = e.event;
    if (ev.type === 'decision')
      t.decisions.push({
        deviceId: ev.deviceId,
        recordType: ev.recordType,
        action: ev.action,
        reason: ev.reason ?? null,
        policy: ev.policy,
        count: 1,
        at: e.at,
      });
    if (ev.type === 'input-rejected')
      t.refused.push({ deviceId: ev.deviceId, channel: ev.channel, code: ev.code, count: 1 });
    if (ev.type === 'frame-withheld') t.framesWithheld.push({ deviceId: ev.deviceId, code: ev.code, count: 1 });
    if (ev.type === 'outbox-drop') t.outboxDrops.push({ deviceId: ev.deviceId, reason: ev.reason, count: 1 });
    if (ev.type !== 'window') continue;
    for (const d of ev.decisions ?? [])
      t.decisions.push({
        deviceId: ev.deviceId,
        recordType: d.recordType,
        action: d.action,
        reason: d.reason ?? null,
        policy: d.policy,
        count: d.count,
        at: e.at,
      });
    for (const r of ev.refused ?? [])
      t.refused.push({ deviceId: ev.deviceId, channel: r.channel, code: r.code, count: r.count });
    for (const [code, count] of Object.entries(ev.frames?.withheld ?? {}))
      t.framesWithheld.push({ deviceId: ev.deviceId, code, count });
    for (const o of ev.outboxDrops ?? [])
      t.outboxDrops.push({ deviceId: ev.deviceId, reason: o.reason, count: o.count });
    t.framesProcessed[ev.deviceId] = (t.framesProcessed[ev.deviceId] ?? 0) + (ev.frames?.processed ?? 0);
    addRedactions(ev.deviceId, ev.redactions, ev.redactionMethods, ev.models);
  }
  return t;
}

export const sum = (xs: ReadonlyArray<{ count: number }>): number => xs.reduce((n, x) => n + x.count, 0);
