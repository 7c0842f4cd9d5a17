import { join } from 'node:path';
import type { GatewayConfig } from '../foundation/config/index.ts';
import type { Close } from '../foundation/lifecycle.ts';
import type { Logger } from '../foundation/log.ts';
import { AuditLog, auditRegistryChanges, configEvent, HeadKey } from './audit/index.ts';
import { auditGapSince, recordAuditGap } from './audit-recovery.ts';
import { DurableOutbox } from './outbox/index.ts';

export interface Records {
  audit: AuditLog;
  outbox: DurableOutbox;
  /** signs the chain heads sent upstream */
  headKey: HeadKey;
}

/**
 * Opens the audit log and the outbox, the gateway's two stores, and settles what the last run left:
 * a config or device change made while it was stopped, forwards an unclean stop kept out of the
 * audit log, and outbox lines that were damaged. They close last: everything else writes to them.
 */
export async function openRecords(
  cfg: Readonly<GatewayConfig>,
  devices: () => Array<{ id: string; kind: string; createdAt: string }>,
  log: Logger,
): Promise<{ value: Records; close: Close }> {
  const audit = await AuditLog.open(join(cfg.dataDir, 'audit'));
  try {
    const headKey = await HeadKey.openOrCreate(cfg.dataDir);
    const configChange = await configEvent(audit.dir, cfg);
    if (configChange.damaged) {
      log.warn({ detail: configChange.damaged.detail }, 'a state file under dataDir was damaged and set aside');
      await audit.record(configChange.damaged);
    }
    await audit.record(configChange.event);
    await configChange.commit();
    // device changes made with the CLI (or in the config) while the gateway was stopped
    await auditRegistryChanges(audit.dir, devices(), (e) => audit.record(e));
    const outbox = await DurableOutbox.open(join(cfg.dataDir, 'outbox'), cfg.outbox, {
      commitWindowMs: cfg.outbox.commitWindowMs,
      recentSince: auditGapSince(audit),
    });
    const records = { audit, outbox, headKey };
    const close = () => Promise.all([audit.close(), outbox.close()]);
    try {
      await settleOutbox(records, log);
    } catch (e) {
      await close();
      throw e;
    }
    return { value: records, close };
  } catch (e) {
    await audit.close().catch(() => {});
    throw e;
  }
}

/** What the outbox found at its start: forwards missing from the audit log, records kept, lines damaged. */
async function settleOutbox({ audit, outbox }: Records, log: Logger): Promise<void> {
  const gap = await recordAuditGap(audit, outbox.recentPuts);
  outbox.recentPuts = [];
  if (gap)
    log.warn(
      { recoveredForwards: gap.recovered },
      'the last stop was unclean: forwards not yet in the audit log were recorded from the outbox',
    );
  const r = outbox.recovered;
  if (r.entries > 0)
    log.info({ entries: r.entries, tornBytes: r.tornBytes }, 'outbox recovered records not yet delivered');
  if (r.corruptLines === 0) return;
  // each approved record that was lost is an audited, counted OUTBOX_CORRUPT drop, and the operator is
  // told which file and where its copy is
  log.error(
    { dir: outbox.dir, damagedLines: r.corruptLines, lostRecords: r.lost.length, copy: r.quarantined },
    'the outbox had damaged lines: the readable records were kept; a copy of the damaged file is kept for inspection (check the SD card: veilgate doctor)',
  );
  for (const lost of r.lost) {
    outbox.drops.OUTBOX_CORRUPT = (outbox.drops.OUTBOX_CORRUPT ?? 0) + 1;
    await audit.record({
      type: 'outbox-drop',
      recordId: lost.id ?? `unreadable (line ${lost.line})`,
      deviceId: lost.key ?? 'unknown',
      reason: 'OUTBOX_CORRUPT',
    });
  }
}

/** What the status page says of the outbox when approved records were dropped. */
export function outboxWarnings(outbox: DurableOutbox): string[] {
  const drops = Object.entries(outbox.drops);
  if (drops.length === 0) return [];
  return [`Approved records were dropped from the outbox: ${drops.map(([k, v]) => `${k} ${v}`).join(', ')}.`];
}
