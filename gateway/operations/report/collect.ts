import { DEVICE_KINDS, type DeviceKind } from '../../../devices/index.ts';
import { describePolicy, parsePolicy, type PolicyInWords } from '../../../policies/index.ts';
import { queryAudit, readArchivedPolicy, verifyAudit } from '../../4-records/audit/index.ts';

type Counts = Record<string, number>;

/** The transparency report's content, computed from the audit chain only (and the archived policies it cites). */
export interface TransparencyReport {
  gatewayId: string;
  generatedAt: string;
  period: { since: string | null; until: string };
  chain: { verified: boolean; problem: string | null; head: { seq: number; hash: string } | null; entries: number };
  devices: Array<{
    id: string;
    kind: string;
    zone: string | null;
    collects: string;
    leaving: string[];
    state: 'active' | 'removed';
  }>;
  policies: Array<{
    id: string;
    version: number;
    sha256: string;
    from: string;
    until: string | null;
    trigger: string;
    words: PolicyInWords | null;
  }>;
  policyRejections: number;
  decisions: {
    forwarded: number;
    withheld: number;
    byType: Record<string, { forwarded: number; withheld: number }>;
    withheldByReason: Counts;
  };
  redactions: { frames: number; byClass: Counts };
  frameDrops: Counts;
  inputRejected: Counts;
  outboxDrops: Counts;
  outages: {
    uplink: Array<{ from: string; until: string | null; seconds: number }>;
    uplinkSeconds: number;
    stops: Array<{ from: string; until: string | null }>;
  };
  daily: Array<{ date: string; forwarded: number; withheld: number }>;
}

const inc = (c: Counts, k: string, n = 1) => {
  c[k] = (c[k] ?? 0) + n;
};

export async function collectReport(
  auditDir: string,
  gatewayId: string,
  period: { since?: Date | undefined; until?: Date | undefined },
  now = new Date(),
): Promise<TransparencyReport> {
  const since = period.since?.toISOString() ?? null;
  const until = (period.until ?? now).toISOString();
  const inPeriod = (at: string) => (since === null || at >= since) && at < until;
  const verified = await verifyAudit(auditDir);
  const r: TransparencyReport = {
    gatewayId,
    generatedAt: now.toISOString(),
    period: { since, until },
    chain: verified.ok
      ? { verified: true, problem: null, head: verified.head, entries: verified.entries }
      : {
          verified: false,
          problem: `${verified.file} line ${verified.line}: ${verified.problem}`,
          head: null,
          entries: verified.entries,
        },
    devices: [],
    policies: [],
    policyRejections: 0,
    decisions: { forwarded: 0, withheld: 0, byType: {}, withheldByReason: {} },
    redactions: { frames: 0, byClass: {} },
    frameDrops: {},
    inputRejected: {},
    outboxDrops: {},
    outages: { uplink: [], uplinkSeconds: 0, stops: [] },
    daily: [],
  };
  const devices = new Map<
    string,
    { kind: string; zone: string | null; leaving: Set<string>; state: 'active' | 'removed'; touched: boolean }
  >();
  const daily = new Map<string, { forwarded: number; withheld: number }>();
  let policy: TransparencyReport['policies'][number] | null = null;
  let uplinkDownSince: string | null = null;
  let stoppedAt: string | null = null;
  const closeOutage = (at: string) => {
    if (uplinkDownSince === null) return;
    const from = uplinkDownSince < (since ?? '') ? since! : uplinkDownSince;
    if (at > (since ?? ''))
      r.outages.uplink.push({ from, until: at, seconds: (Date.parse(at) - Date.parse(from)) / 1000 });
    uplinkDownSince = null;
  };

  /** one decision, or a window's group of identical ones */
  const countDecision = (
    deviceId: string,
    at: string,
    d: { recordType: string; action: 'forward' | 'withhold'; reason?: string | undefined; count: number },
  ) => {
    const t = (r.decisions.byType[d.recordType] ??= { forwarded: 0, withheld: 0 });
    const day = daily.get(at.slice(0, 10)) ?? { forwarded: 0, withheld: 0 };
    daily.set(at.slice(0, 10), day);
    if (d.action === 'forward') {
      r.decisions.forwarded += d.count;
      t.forwarded += d.count;
      day.forwarded += d.count;
      devices.get(deviceId)?.leaving.add(d.recordType);
    } else {
      r.decisions.withheld += d.count;
      t.withheld += d.count;
      day.withheld += d.count;
      inc(r.decisions.withheldByReason, d.reason ?? 'UNKNOWN', d.count);
    }
  };
  for await (const e of queryAudit(auditDir, { until: new Date(until) })) {
    const ev = e.event;
    const inside = inPeriod(e.at);
    switch (ev.type) {
      case 'device': {
        const d = devices.get(ev.deviceId) ?? {
          kind: ev.kind ?? 'unknown',
          zone: null,
          leaving: new Set<string>(),
          state: 'active' as const,
          touched: false,
        };
        if (ev.action === 'added')
          Object.assign(d, { kind: ev.kind ?? d.kind, zone: ev.zone ?? null, state: 'active' });
        if (ev.action === 'removed') d.state = 'removed';
        if (ev.action === 'zone-changed') d.zone = ev.zone ?? null;
        d.touched ||= inside;
        devices.set(ev.deviceId, d);
        break;
      }
      case 'policy-activated':
        if (policy) policy.until = e.at;
        policy = {
          id: ev.policy.id,
          version: ev.policy.version,
          sha256: ev.policy.sha256,
          from: e.at,
          until: null,
          trigger: ev.trigger,
          words: null,
        };
        if (inside || r.policies.length === 0) r.policies.push(policy);
        else r.policies[r.policies.length - 1] = policy; // before the period: only the one in force at its start counts
        break;
      case 'policy-rejected':
        if (inside) r.policyRejections++;
        break;
      case 'decision': {
        if (!inside) break;
        countDecision(ev.deviceId, e.at, { recordType: ev.recordType, action: ev.action, reason: ev.reason, count: 1 });
        if (ev.recordType === 'observation') {
          r.redactions.frames++;
          for (const [cls, n] of Object.entries(ev.redactions ?? {})) inc(r.redactions.byClass, cls, n);
        }
        break;
      }
      case 'window': {
        if (!inside) break;
        for (const d of ev.decisions ?? []) countDecision(ev.deviceId, e.at, d);
        if (ev.frames) {
          r.redactions.frames += ev.frames.processed;
          for (const [code, n] of Object.entries(ev.frames.withheld)) inc(r.frameDrops, code, n);
        }
        for (const [cls, n] of Object.entries(ev.redactions ?? {})) inc(r.redactions.byClass, cls, n);
        for (const x of ev.refused ?? []) inc(r.inputRejected, x.code, x.count);
        for (const o of ev.outboxDrops ?? []) inc(r.outboxDrops, o.reason, o.count);
        break;
      }
      case 'frame-withheld':
        if (inside) inc(r.frameDrops, ev.code);
        break;
      case 'input-rejected':
        if (inside) inc(r.inputRejected, ev.code);
        break;
      case 'outbox-drop':
        if (inside) inc(r.outboxDrops, ev.reason);
        break;
      case 'uplink':
        if (ev.action === 'disconnected') uplinkDownSince ??= e.at;
        else closeOutage(e.at);
        break;
      case 'gateway':
        if (ev.action === 'stop') {
          stoppedAt = e.at;
          closeOutage(e.at);
        } else {
          if (stoppedAt && e.at > (since ?? ''))
            r.outages.stops.push({ from: stoppedAt < (since ?? '') ? since! : stoppedAt, until: e.at });
          stoppedAt = null;
          // a start without a stop before it: the gateway died or lost power; that gap is not known exactly
        }
        break;
      default:
        break;
    }
  }
  if (uplinkDownSince !== null) {
    const from = uplinkDownSince < (since ?? '') ? since! : uplinkDownSince;
    r.outages.uplink.push({ from, until: null, seconds: (Date.parse(until) - Date.parse(from)) / 1000 });
  }
  r.outages.uplinkSeconds = r.outages.uplink.reduce((n, o) => n + o.seconds, 0);
  for (const p of r.policies) {
    const text = await readArchivedPolicy(auditDir, p.sha256);
    const parsed = text === null ? null : parsePolicy(text, p.sha256);
    p.words = parsed?.ok ? describePolicy(parsed.value.policy) : null;
  }
  r.devices = [...devices]
    .filter(([, d]) => d.state === 'active' || d.touched)
    .map(([id, d]) => ({
      id,
      kind: d.kind,
      zone: d.zone,
      collects:
        DEVICE_KINDS[d.kind as DeviceKind]?.description ??
        'a local consumer: reads what the policy forwards, nothing else',
      leaving: [...d.leaving].sort(),
      state: d.state,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  r.daily = [...daily].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...c }));
  return r;
}
