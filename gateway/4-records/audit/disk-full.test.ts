import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, verifyAudit } from './index.ts';
import { mountSmallDisk, SMALL_DISK_UNAVAILABLE } from '../../test/small-disk.ts';

const added = (i: number) => ({ type: 'device', action: 'added', deviceId: `d${i}`, kind: 'sensor' }) as const;

test(
  'a write refused by a full disk leaves no gap: the chain still verifies once there is room',
  { skip: SMALL_DISK_UNAVAILABLE },
  async (t) => {
    const disk = mountSmallDisk(256 * 1024);
    t.after(() => disk.dispose());
    const dir = join(disk.dir, 'audit');
    const log = await AuditLog.open(dir);
    await log.record(added(0));
    await writeFile(join(disk.dir, 'filler'), Buffer.alloc(256 * 1024)).catch(() => {});
    // the file's last page may still take a few lines: record until the disk really refuses
    let refused: NodeJS.ErrnoException | null = null;
    let written = 1;
    for (let i = 1; i < 2000 && !refused; i++) {
      try {
        await log.record(added(i));
        written++;
      } catch (e) {
        refused = e as NodeJS.ErrnoException;
      }
    }
    assert.equal(refused?.code, 'ENOSPC');
    // records made together while the disk is full all fail, and none of them moves the head
    const headWhileFull = log.chainHead;
    const burst = await Promise.allSettled([log.record(added(5000)), log.record(added(5001))]);
    assert.deepEqual(
      burst.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(log.chainHead, headWhileFull);
    assert.equal(headWhileFull.seq, written);

    await rm(join(disk.dir, 'filler'));
    await log.record(added(9000));
    await log.close();
    const r = await verifyAudit(dir);
    assert.ok(r.ok, `audit verify after a transient disk-full: ${JSON.stringify(r)}`);
    assert.equal(r.entries, written + 1);
    // and after a restart the chain goes on from the same head
    const again = await AuditLog.open(dir);
    await again.record(added(9001));
    await again.close();
    const r2 = await verifyAudit(dir);
    assert.ok(r2.ok && r2.entries === written + 2, JSON.stringify(r2));
  },
);
