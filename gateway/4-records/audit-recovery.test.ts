import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, queryAudit, verifyAudit, type AuditEntry } from './audit/index.ts';
import { DurableOutbox } from './outbox/index.ts';
import { auditGapSince, recordAuditGap } from './audit-recovery.ts';

const policy = { id: 'p', version: 1, sha256: 'b'.repeat(64) };
const record = (id: string) =>
  JSON.stringify({ id, deviceId: 'cam-1', recordType: 'counts', policy, fields: { person: 1 } });

async function entries(dir: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of queryAudit(dir)) out.push(e);
  return out;
}

test('after an unclean stop, forwards whose audit entries never reached the disk are recorded from the outbox, delivered or not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-gap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const auditDir = join(dir, 'audit');
  const now = Date.now();
  const audit = await AuditLog.open(auditDir);
  await audit.record({ type: 'gateway', action: 'start', version: 'test' });
  // r1's window was recorded; r2 and r3 were counted in a window the crash took with it
  await audit.record({
    type: 'window',
    deviceId: 'cam-1',
    from: new Date(now - 10_000).toISOString(),
    to: new Date(now).toISOString(),
    decisions: [{ recordType: 'counts', action: 'forward', rules: ['c'], policy, count: 1, recordIds: ['r1'] }],
  });
  const box = await DurableOutbox.open(join(dir, 'outbox'));
  for (const id of ['r1', 'r2', 'r3'])
    await box.put({ id, topic: 't/cam-1/counts', payload: record(id), key: 'cam-1', at: now });
  await box.put({ id: 'audit-head-1', topic: 't/audit-heads', payload: '{}', key: '$audit-heads', at: now });
  box.ack((await box.list()).find((e) => e.id === 'r2')!.seq); // r2 already left
  await box.close();
  await audit.drain(); // written, but no stop entry: the process died here

  const reopened = await AuditLog.open(auditDir);
  assert.equal(reopened.previous.cleanStop, false);
  const again = await DurableOutbox.open(join(dir, 'outbox'), undefined, { recentSince: auditGapSince(reopened) });
  assert.deepEqual(await recordAuditGap(reopened, again.recentPuts), { recovered: 2 });
  await reopened.close();
  await again.close();

  const all = await entries(auditDir);
  const recovered = all.flatMap((e) => (e.event.type === 'decision' && e.event.recovered ? [e.event.recordId] : []));
  assert.deepEqual(recovered.sort(), ['r2', 'r3'], 'the delivered one too; never r1 twice, never the audit head');
  assert.ok(all.some((e) => e.event.type === 'recovery' && /unclean stop/.test(e.event.detail)));
  assert.equal((await verifyAudit(auditDir)).ok, true);

  // a clean stop leaves nothing to recover
  const clean = await AuditLog.open(auditDir);
  await clean.record({ type: 'gateway', action: 'stop', version: 'test' });
  await clean.close();
  const afterClean = await AuditLog.open(auditDir);
  assert.equal(auditGapSince(afterClean), Number.POSITIVE_INFINITY);
  assert.equal(await recordAuditGap(afterClean, again.recentPuts), null);
  await afterClean.close();
});
