import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headSignedBy, HeadKey } from '../../4-records/audit/index.ts';
import { readAuditKey } from './head-archive.ts';

test('an audit key read from its PEM checks the heads its gateway signed, and only those', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-audit-key-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const mine = await HeadKey.openOrCreate(join(dir, 'a'));
  const other = await HeadKey.openOrCreate(join(dir, 'b'));
  const key = readAuditKey(mine.publicPem);
  assert.ok(key, 'an Ed25519 PEM is read');
  assert.equal(key.fingerprint, mine.fingerprint, 'the fingerprint a signed head names');
  const head = mine.sign('gw-1', { seq: 7, hash: 'a'.repeat(64) }, new Date());
  assert.ok(headSignedBy(head, key.key, key.fingerprint), "the gateway's own head verifies");
  assert.ok(!headSignedBy({ ...head, seq: 8 }, key.key, key.fingerprint), 'a changed head does not');
  const forged = other.sign('gw-1', { seq: 7, hash: 'a'.repeat(64) }, new Date());
  assert.ok(
    !headSignedBy({ ...forged, key: key.fingerprint }, key.key, key.fingerprint),
    "another key's head does not",
  );
});

test('an audit key of another type is still read from its DER, and what is not a key reads as none', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec = readAuditKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  assert.equal(ec?.key.asymmetricKeyType, 'ec', 'a P-256 key is read as one');
  assert.equal(readAuditKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), null, 'not a key');
  assert.equal(readAuditKey(''), null, 'nothing retained');
});
