import { upstreamAuditHeadsTopic } from '../../devices/index.ts';
import type { GatewayConfig } from '../foundation/config/index.ts';
import type { Close } from '../foundation/lifecycle.ts';
import type { Logger } from '../foundation/log.ts';
import { RepeatedWarnings } from '../foundation/repeated-warnings.ts';
import type { StorageFaults } from '../foundation/storage/storage-faults.ts';
import { VERSION } from '../foundation/version.ts';
import { OutboxFullError } from './outbox/index.ts';
import type { Records } from './open-records.ts';

export interface AuditUpkeepDeps {
  cfg: Readonly<GatewayConfig>;
  records: Records;
  /** sends the latest signed head, retained, to the agency's broker (the uplink) */
  publishHead(payload: string): void;
  faults: StorageFaults;
  log: Logger;
}

/**
 * The audit log's start and stop entries, and its upkeep while the gateway runs: once a second the
 * outbox drops what is past its age bound, the log rotates and is pruned, and now and then its head
 * is signed and sent upstream. Closing it records the stop and sends the last head.
 */
export async function startAuditUpkeep(d: AuditUpkeepDeps): Promise<{ value: null; close: Close }> {
  const { audit, outbox, headKey } = d.records;
  const a = d.cfg.audit;
  const warnings = new RepeatedWarnings(d.log);
  let nextPruneAt = 0;
  let nextHeadAt = 0;
  /** the last head put in the outbox: an idle chain's head is not sent again */
  let lastHeadSeq = -1;

  /**
   * The chain's head, signed with the gateway's audit key: retained as the latest, and each new one
   * as its own QoS 1 record through the outbox, so the agency archives every head and a tail
   * rewritten after any of them fails `audit verify --heads`.
   */
  const publishHead = async (at: Date): Promise<void> => {
    const head = headKey.sign(d.cfg.gatewayId, audit.chainHead, at);
    const payload = JSON.stringify(head);
    d.publishHead(payload);
    if (head.seq === lastHeadSeq) return;
    const topic = upstreamAuditHeadsTopic(d.cfg.upstream.topicPrefix, d.cfg.gatewayId);
    try {
      const id = `audit-head-${head.seq}-${head.hash.slice(0, 16)}`;
      await outbox.put({ id, topic, payload, key: '$audit-heads', at: at.getTime() });
      lastHeadSeq = head.seq;
    } catch (e) {
      // a full outbox that refuses new records is not a disk fault: the next head is tried next time
      if (!(e instanceof OutboxFullError)) throw e;
      const msg = 'signed audit head not queued upstream: the outbox is full';
      warnings.warn('audit-head-outbox-full', { seq: head.seq }, msg);
    }
  };

  const maintain = async (now: number): Promise<void> => {
    await audit.rotateIfLarger(a.segmentBytes);
    if (now >= nextPruneAt) {
      nextPruneAt = now + 60_000;
      const removed = await audit.prune(new Date(now - a.retainDays * 86_400_000), a.maxTotalBytes);
      if (removed > 0) d.log.info({ files: removed }, 'audit retention removed old segments');
    }
    if (now >= nextHeadAt) {
      nextHeadAt = now + a.headIntervalSeconds * 1000;
      await publishHead(new Date(now));
    }
  };

  await audit.record({ type: 'gateway', action: 'start', version: VERSION });
  const fail = (e: Error) => d.faults.failed(e);
  const tick = async (now: number) => {
    await outbox.expire(now).catch(fail);
    await maintain(now).catch(fail);
  };
  const timer = setInterval(() => void tick(Date.now()), 1000);
  return {
    value: null,
    close: async () => {
      clearInterval(timer);
      await audit.record({ type: 'gateway', action: 'stop', version: VERSION });
      await publishHead(new Date()).catch(fail);
    },
  };
}
