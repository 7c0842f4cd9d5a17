import type { AuditLog } from './audit/index.ts';
import type { OutboxEntry } from './outbox/index.ts';
import { UpstreamRecordSchema, type UpstreamRecord } from './queued-record.ts';

/** clocks and the delay between a decision and its audit entry */
const SLACK_MS = 5_000;

/** From when on the outbox's puts must be compared with the audit log at this start; Infinity after a clean stop. */
export function auditGapSince(audit: AuditLog): number {
  const p = audit.previous;
  if (p.cleanStop || p.lastAt === null) return Number.POSITIVE_INFINITY;
  return Date.parse(p.lastAt) - p.windowMs - SLACK_MS;
}

/**
 * After an unclean stop (a power cut, kill -9), the entries written since the last sync of the
 * audit log may be gone, while the records they decided are in the outbox (synced before their
 * PUBACK) and may already have left. Every such record is recorded now, from the outbox, as a
 * forward marked `recovered`; and a `recovery` entry says which window's counts (frames,
 * withholds, refusals) may be missing. So no forward ever goes unrecorded.
 */
export async function recordAuditGap(
  audit: AuditLog,
  recentPuts: readonly OutboxEntry[],
): Promise<{ recovered: number } | null> {
  const p = audit.previous;
  if (p.cleanStop || p.lastAt === null) return null;
  let recovered = 0;
  for (const put of recentPuts) {
    if (put.key.startsWith('$') || p.forwardIds.has(put.id)) continue;
    let parsed: UpstreamRecord;
    try {
      // what a forwarded record says of its decision; read back from disk, so checked
      parsed = UpstreamRecordSchema.parse(JSON.parse(put.payload));
    } catch {
      continue;
    }
    const r = parsed;
    await audit.record(
      {
        type: 'decision',
        action: 'forward',
        deviceId: r.deviceId,
        recordType: r.recordType,
        rules: [],
        fields: Object.keys(r.fields),
        recordId: r.id,
        policy: r.policy,
        recovered: true,
      },
      new Date(put.at),
    );
    recovered++;
  }
  await audit.record({
    type: 'recovery',
    detail: `unclean stop after ${p.lastAt}: the counts of up to ${Math.round(p.windowMs / 1000)} s before it (frames, withholds, refusals) may be missing; ${recovered} forwarded record(s) were recorded from the outbox`,
  });
  return { recovered };
}
