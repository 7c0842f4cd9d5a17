import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, AUDIT_FILE, verifyAudit } from './index.ts';

async function logWith(n: number) {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-audit-'));
  const log = await AuditLog.open(dir);
  for (let i = 0; i < n; i++) await log.record({ type: 'device', action: 'added', deviceId: `d${i}`, kind: 'sensor' });
  await log.close();
  return dir;
}

test('an untouched chain verifies and reports its head', async (t) => {
  const dir = await logWith(5);
  t.after(() => rm(dir, { recursive: true }));
  const r = await verifyAudit(dir);
  assert.ok(r.ok);
  assert.equal(r.entries, 5);
});

test('an altered entry is named as the first bad one', async (t) => {
  const dir = await logWith(5);
  t.after(() => rm(dir, { recursive: true }));
  const file = join(dir, AUDIT_FILE);
  await writeFile(file, (await readFile(file, 'utf8')).replace('"deviceId":"d2"', '"deviceId":"dX"'));
  const r = await verifyAudit(dir);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.badSeq, 3);
  assert.match(!r.ok ? r.problem : '', /altered/);
});

test('a removed entry breaks the chain at the entry after it', async (t) => {
  const dir = await logWith(5);
  t.after(() => rm(dir, { recursive: true }));
  const file = join(dir, AUDIT_FILE);
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines.splice(1, 1);
  await writeFile(file, lines.join('\n'));
  const r = await verifyAudit(dir);
  assert.equal(!r.ok && r.badSeq, 3);
});

test('reopening after a torn write cuts the torn entry, records the recovery, and the chain still verifies', async (t) => {
  const dir = await logWith(3);
  t.after(() => rm(dir, { recursive: true }));
  await appendFile(join(dir, AUDIT_FILE), '{"seq":4,"at":"2026-');
  assert.equal((await verifyAudit(dir)).ok, false);
  const log = await AuditLog.open(dir);
  await log.record({ type: 'gateway', action: 'start', version: 'test' });
  await log.close();
  const r = await verifyAudit(dir);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.entries, 5);
  assert.match(await readFile(join(dir, AUDIT_FILE), 'utf8'), /"type":"recovery"/);
});
