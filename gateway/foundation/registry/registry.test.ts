import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry } from './index.ts';

test('a device added while the registry is re-read (the gateway reloads it on every change) is not lost', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-registry-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = await DeviceRegistry.open(dir);
  await reg.add('first', 'sensor');
  for (const id of ['cam-1', 'cam-2', 'cam-3']) {
    const adding = reg.add(id, 'camera');
    await reg.reload(); // completes while the secret is being hashed
    const secret = await adding;
    await reg.reload();
    assert.ok(reg.get(id), `${id} is in the registry after a concurrent reload`);
    assert.ok(await reg.authenticate(id, secret), `${id} can log in`);
  }
  const rotating = reg.rotate('cam-1');
  await reg.reload();
  const rotated = await rotating;
  await reg.reload();
  assert.ok(await reg.authenticate('cam-1', rotated), 'the rotated secret survives a concurrent reload');
});

test('a change made while a reload is reading the file is not overwritten by what that reload read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-registry-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = await DeviceRegistry.open(dir);
  await reg.add('cam-1', 'camera');
  const certificate = {
    fingerprint256: Array.from({ length: 32 }, () => 'AB').join(':'),
    serial: '01',
    notAfter: '2027-12-06T00:00:00.000Z',
    recordedAt: '2026-12-06T00:00:00.000Z',
  };
  // the reload starts reading first; the certificate is recorded before its read comes back
  const reloading = reg.reload();
  await reg.setCertificate('cam-1', certificate);
  await reloading;
  assert.deepEqual(reg.get('cam-1')?.certificate, certificate, 'the change made during the read is kept');
  await reg.reload();
  assert.deepEqual(reg.get('cam-1')?.certificate, certificate, 'and it is on disk');
});
