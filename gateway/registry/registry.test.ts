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
