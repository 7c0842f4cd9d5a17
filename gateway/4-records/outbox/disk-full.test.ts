import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';
import { mountSmallDisk, SMALL_DISK_UNAVAILABLE } from '../../test/small-disk.ts';
import { describeStorageError } from '../../foundation/storage/describe-error.ts';
import { startHarness, waitFor, YESTERDAY } from '../../test/harness.ts';
import { connectDevice, sampleEvent } from '../../../simulators/index.ts';
import { deviceTopic } from '../../../devices/index.ts';

const entry = (i: number) => ({
  id: `r${i}`,
  topic: `t/${i}`,
  payload: JSON.stringify({ i, pad: 'x'.repeat(200) }),
  key: 'dev',
  at: Date.now(),
});

test(
  'a full disk refuses new entries with ENOSPC, corrupts nothing, and works again once there is room',
  { skip: SMALL_DISK_UNAVAILABLE },
  async (t) => {
    const disk = mountSmallDisk(256 * 1024);
    t.after(() => disk.dispose());
    const dir = join(disk.dir, 'outbox');
    const box = await DurableOutbox.open(dir);
    // something else fills the card
    await writeFile(join(disk.dir, 'filler'), Buffer.alloc(200 * 1024)).catch(() => {});
    const stored: string[] = [];
    let refused: NodeJS.ErrnoException | null = null;
    for (let i = 0; i < 1000 && !refused; i++) {
      try {
        await box.put(entry(i));
        stored.push(`r${i}`);
      } catch (e) {
        refused = e as NodeJS.ErrnoException;
      }
    }
    assert.equal(refused?.code, 'ENOSPC');
    assert.ok(stored.length > 0);
    assert.deepEqual(
      (await box.list()).map((e) => e.id),
      stored,
      'the refused entry is not pending',
    );
    await rm(join(disk.dir, 'filler'));
    await box.put(entry(5000));
    await box.close();
    const again = await DurableOutbox.open(dir);
    assert.deepEqual(
      (await again.list()).map((e) => e.id),
      [...stored, 'r5000'],
    );
    assert.equal(again.recovered.corruptLines, 0, 'no half-written line was left between good ones');
    assert.equal(again.recovered.tornBytes, 0);
    await again.close();
  },
);

test(
  'on a read-only filesystem the outbox will not open, with EROFS and a clear message, and loses nothing',
  { skip: SMALL_DISK_UNAVAILABLE },
  async (t) => {
    const disk = mountSmallDisk(1024 * 1024);
    t.after(() => disk.dispose());
    const dir = join(disk.dir, 'outbox');
    const box = await DurableOutbox.open(dir);
    await box.put(entry(1));
    await box.close();
    // what the kernel does to a failing SD card (errors=remount-ro)
    disk.readOnly(true);
    const err = await DurableOutbox.open(dir).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    assert.equal(err?.code, 'EROFS');
    assert.match(describeStorageError(err!), /read-only.*SD card/);
    disk.readOnly(false);
    const again = await DurableOutbox.open(dir);
    await again.put(entry(3));
    assert.deepEqual(
      (await again.list()).map((e) => e.id),
      ['r1', 'r3'],
    );
    await again.close();
  },
);

test(
  'a gateway whose disk fills up stays up, acknowledges nothing it could not store, and delivers it once there is room',
  { skip: SMALL_DISK_UNAVAILABLE, timeout: 60_000 },
  async (t) => {
    const disk = mountSmallDisk(4 * 1024 * 1024);
    t.after(() => disk.dispose());
    const h = await startHarness({ dataDir: join(disk.dir, 'data') });
    t.after(() => h.stop());
    const device = await connectDevice({
      url: h.brokerUrl,
      deviceId: 'door-1',
      secret: await h.gateway.registry.add('door-1', 'sensor'),
    });
    t.after(() => device.endAsync(true));
    const send = (n: number) =>
      device.publishAsync(
        deviceTopic('door-1', 'events'),
        JSON.stringify(sampleEvent('door', n, new Date(YESTERDAY + n * 60_000))),
        { qos: 1 },
      );
    await send(0);
    await waitFor('the first record upstream', () => h.upstream.some((r) => r.topic.endsWith('/door')));

    const filler = join(disk.dir, 'filler');
    await writeFile(filler, Buffer.alloc(4 * 1024 * 1024)).catch(() => {}); // fills what is left
    // the files' last pages may still have room for a few lines: send until the disk really refuses
    let acked = 0;
    const pending = Array.from({ length: 40 }, (_, i) => send(i + 1).then(() => acked++));
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(acked < 40, `not everything acknowledged while it cannot be stored (${acked} of 40)`);
    await rm(filler);
    await Promise.all(pending); // the device sends the rest again after the gateway dropped the connection
    const doorRecords = () =>
      h.upstream
        .filter((x) => x.topic.endsWith('/door'))
        .map((r) => JSON.parse(r.payload.toString()) as { id: string; fields: { at: string } });
    await waitFor('every record upstream', () => new Set(doorRecords().map((r) => r.id)).size >= 41, 20_000);
    // a record stored just before the disk filled, whose audit line then failed, is sent again by the
    // device: it must come back under the same id (a recognisable duplicate)
    const firstById = new Map<string, string>();
    for (const rec of doorRecords()) {
      const seen = firstById.get(rec.id);
      if (seen) assert.equal(seen, rec.fields.at);
      else firstById.set(rec.id, rec.fields.at);
    }
    assert.deepEqual(
      [...firstById.values()],
      Array.from({ length: 41 }, (_, n) => new Date(YESTERDAY + n * 60_000).toISOString()),
      'all of them, in order',
    );
  },
);
