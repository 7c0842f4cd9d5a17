import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  deviceTopic,
  fleetPolicyTopic,
  UPSTREAM_SCHEMA_VERSION,
  type FleetPolicyMessage,
} from '../../../devices/index.ts';
import { parsePolicy } from '../../../policies/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import type { AuditEntry } from '../../4-records/audit/index.ts';
import { agencyBroker } from '../../test/agency-broker.ts';
import { readLines } from '../../foundation/storage/jsonl-log.ts';
import { runVeilgate } from '../../test/run-veilgate.ts';
import { startHarness, waitFor, writeFastDefaultPolicy, type Harness } from '../../test/harness.ts';
import { fleetPolicyFile } from './fleet.ts';
import { makeSigningKeys, signPolicy } from './signature.ts';

/** The local policy with a new version and the door's `open` field let out: what the officer publishes. */
function widened(local: string, version: number, extra = ''): string {
  return local
    .replace('version: 2', `version: ${version}`)
    .replace('allow: [type, at]', `allow: [type, at, open]${extra}`);
}

async function auditEvents(h: Harness) {
  return (await readLines(join(h.gateway.cfg.dataDir, 'audit', 'audit.jsonl'))).lines.map(
    (l) => (l as AuditEntry).event,
  );
}

test("a policy signed by a trusted key and published on the agency's broker goes in force, decides the next record, is reported, and is taken by a gateway that was offline", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-'));
  const agency = await agencyBroker();
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const keys = await runVeilgate(['keys', 'init', '--out', join(dir, 'keys'), '--name', 'officer']);
  assert.equal(keys.code, 0, keys.output);
  const fingerprint = /fingerprint ([0-9a-f]{64})/.exec(keys.output)?.[1];
  assert.ok(fingerprint, `keys init prints the fingerprint: ${keys.output}`);
  const local = await readFile(await writeFastDefaultPolicy(dir), 'utf8');
  const v3 = join(dir, 'city-v3.yaml');
  await writeFile(v3, widened(local, 3));
  const signed = await runVeilgate(['policy', 'sign', v3, '--key', join(dir, 'keys', 'officer.key')]);
  assert.equal(signed.code, 0, signed.output);
  await writeFile(join(dir, 'agency.yaml'), `upstream:\n  url: ${agency.url}\n`);

  const trustedKeys = [join(dir, 'keys', 'officer.pub')];
  const dataA = join(dir, 'data-a');
  let a = await startHarness({ gatewayId: 'north-1', trustedKeys, upstreamUrl: agency.url, dataDir: dataA });
  t.after(() => a.stop());
  await waitFor('north-1 connected', () => a.gateway.uplink.connected);
  await waitFor('north-1 reports the local policy in force', () =>
    agency.statuses('north-1').some((s) => s.outcome === 'in-force' && s.inForce?.source === 'file'),
  );

  const published = await runVeilgate([
    'policy',
    'publish',
    v3,
    '--to',
    'north-*',
    '--config',
    join(dir, 'agency.yaml'),
    '--wait',
    '2',
  ]);
  assert.equal(published.code, 0, published.output);
  assert.match(published.output, /published veilgate-default v3 .* to veilgate\/fleet\/policies\/north-\*, retained/);
  assert.match(published.output, /north-1\s+veilgate-default v3 \(fleet\); activated veilgate-default v3/);
  assert.equal(a.gateway.policy?.policy.version, 3);

  // the next record is decided by it: the door's `open` now leaves, citing v3
  const secret = await a.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(a.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
  await door.endAsync();
  await waitFor('the door record upstream', () => agency.seen.some((r) => r.topic === 'veilgate/north-1/door-1/door'));
  const rec = JSON.parse(agency.seen.find((r) => r.topic.endsWith('/door'))!.payload.toString()) as {
    policy: { version: number };
    fields: Record<string, unknown>;
  };
  assert.equal(rec.policy.version, 3);
  assert.deepEqual(Object.keys(rec.fields), ['type', 'at', 'open']);

  const activated = (await auditEvents(a)).filter((e) => e.type === 'policy-activated');
  assert.deepEqual(
    activated.map((e) => e.type === 'policy-activated' && [e.policy.version, e.trigger, e.source, e.signedBy ?? null]),
    [
      [2, 'start', a.gateway.cfg.policy.file, null],
      [3, 'fleet', 'fleet:north-*', fingerprint],
    ],
  );

  // while a fleet policy is in force the local file does not replace it
  assert.deepEqual(await a.gateway.reloadPolicy('command'), { outcome: 'ignored' });

  // a gateway that was off during the publish takes it from the retained message when it connects
  const b = await startHarness({ gatewayId: 'north-2', trustedKeys, upstreamUrl: agency.url });
  t.after(() => b.stop());
  await waitFor('north-2 takes v3', () => b.gateway.policy?.policy.version === 3);
  await waitFor('north-2 reports it', () => agency.statuses('north-2').some((s) => s.outcome === 'activated'));
  // one not matched by the target keeps its own
  const c = await startHarness({ gatewayId: 'south-1', trustedKeys, upstreamUrl: agency.url });
  t.after(() => c.stop());
  await waitFor('south-1 reports', () => agency.statuses('south-1').length > 0);
  const view = await runVeilgate(['policy', 'status', '--config', join(dir, 'agency.yaml')]);
  assert.match(view.output, /north-1\s+veilgate-default v3 \(fleet\)/);
  assert.match(view.output, /north-2\s+veilgate-default v3 \(fleet\)/);
  assert.match(view.output, /south-1\s+veilgate-default v2 \(file\)/);
  assert.equal(c.gateway.policy?.policy.version, 2, 'south-1 is not in north-*');

  // a restart with the agency's broker away: the stored fleet policy is in force from the start
  await a.stop();
  await agency.stop();
  a = await startHarness({ gatewayId: 'north-1', trustedKeys, upstreamUrl: agency.url, dataDir: dataA });
  assert.equal(a.gateway.policy?.policy.version, 3);
  assert.equal(a.gateway.uplink.connected, false);
  assert.deepEqual(agency.violations, []);
});

/** A fleet message as `policy publish` makes it, signed here with a key of the test's own. */
function fleetMessage(text: string, privatePem: string, opts: { to?: string; at?: Date } = {}): FleetPolicyMessage {
  const parsed = parsePolicy(text, 'test');
  assert.ok(parsed.ok, 'the test policy parses');
  return {
    schemaVersion: UPSTREAM_SCHEMA_VERSION,
    to: opts.to ?? 'gw-test',
    publishedAt: new Date().toISOString(),
    policy: text,
    signature: signPolicy(parsed.value, createPrivateKey(privatePem), opts.at),
  };
}

test('an unsigned, tampered, untrusted, older, same-version or invalid policy is refused, audited and reported, and the one in force stays', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-bad-'));
  const agency = await agencyBroker();
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const officer = makeSigningKeys();
  const stranger = makeSigningKeys();
  await writeFile(join(dir, 'officer.pub'), officer.publicPem);
  const local = await readFile(await writeFastDefaultPolicy(dir), 'utf8');
  // the key inline in the config, as PEM, works as a file does
  const h = await startHarness({ trustedKeys: [officer.publicPem], upstreamUrl: agency.url });
  t.after(() => h.stop());
  await waitFor('the uplink', () => h.gateway.uplink.connected);
  const publisher = await mqtt.connectAsync(agency.url, { clientId: 'agency-publisher', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  const offer = async (payload: string | FleetPolicyMessage, to = 'gw-test') => {
    const before = agency.statuses('gw-test').length;
    await publisher.publishAsync(
      fleetPolicyTopic('veilgate', to),
      typeof payload === 'string' ? payload : JSON.stringify(payload),
      {
        qos: 1,
        retain: true,
      },
    );
    await waitFor('a policy status', () => agency.statuses('gw-test').length > before);
    return agency.statuses('gw-test').at(-1)!;
  };

  // the one to keep: v3, signed by the officer
  const t0 = Date.now();
  const good = fleetMessage(widened(local, 3), officer.privatePem, { at: new Date(t0) });
  assert.equal((await offer(good)).outcome, 'activated');

  const tamperedText = {
    ...good,
    policy: good.policy.replace('allow: [type, at, open]', 'allow: [type, at, open, id]'),
  };
  // v4's text and hash, with the officer's signature of v3 carried over: a replayed signature
  const v4 = fleetMessage(widened(local, 4), officer.privatePem, { at: new Date(t0 + 500) });
  const badSignature = { ...v4, signature: { ...v4.signature, signature: good.signature.signature } };
  const later = (n: number) => new Date(t0 + n * 1000);
  const cases: Array<[string, string | FleetPolicyMessage, RegExp]> = [
    ['not JSON', 'version: 9', /not JSON/],
    ['no signature', JSON.stringify({ ...good, signature: undefined }), /signature/],
    ['changed after signing', tamperedText, /sha256 is .*, the signature is for/],
    ['a forged signature', badSignature, /does not verify/],
    [
      'signed with a key the gateway does not trust',
      fleetMessage(widened(local, 4), stranger.privatePem, { at: later(1) }),
      /does not trust/,
    ],
    [
      'an older version signed later',
      fleetMessage(local, officer.privatePem, { at: later(2) }),
      /v2 is not newer than v3/,
    ],
    [
      'the same version with other rules',
      fleetMessage(widened(local, 3, ' # changed'), officer.privatePem, { at: later(3) }),
      /v3 is not newer than v3/,
    ],
    [
      'another policy signed before the one in force',
      fleetMessage(widened(local, 1).replace('id: veilgate-default', 'id: other'), officer.privatePem, {
        at: new Date(t0 - 60_000),
      }),
      /signed at .* not after veilgate-default v3/,
    ],
  ];
  for (const [what, payload, reason] of cases) {
    const s = await offer(payload);
    assert.equal(s.outcome, 'rejected', what);
    assert.match(s.reason ?? '', reason, what);
    assert.equal(s.inForce?.version, 3, `${what}: v3 stays in force`);
    assert.equal(h.gateway.policy?.policy.version, 3, what);
  }
  // an invalid policy cannot be signed with `policy sign`, but a signature is only bytes
  const invalid = widened(local, 5).replace('allow: [type, at, open]', 'alow: [type, at, open]');
  const sha = (await import('node:crypto')).createHash('sha256').update(invalid).digest('hex');
  const at = later(4).toISOString();
  const invalidMsg: FleetPolicyMessage = {
    ...good,
    policy: invalid,
    signature: {
      ...good.signature,
      sha256: sha,
      policy: { id: 'veilgate-default', version: 5 },
      signedAt: at,
      signature: sign(
        null,
        Buffer.from(JSON.stringify(['veilgate-policy', sha, at])),
        createPrivateKey(officer.privatePem),
      ).toString('base64'),
    },
  };
  const s = await offer(invalidMsg);
  assert.equal(s.outcome, 'rejected');
  assert.match(s.reason ?? '', /not a valid policy .*alow/);

  // one for other gateways changes nothing here; the next one for this gateway, newer, is taken
  await publisher.publishAsync(
    fleetPolicyTopic('veilgate', 'south-*'),
    JSON.stringify(fleetMessage(widened(local, 6), officer.privatePem, { to: 'south-*', at: later(5) })),
    { qos: 1 },
  );
  const v7 = await offer(fleetMessage(widened(local, 7), officer.privatePem, { at: later(6) }));
  assert.equal(v7.outcome, 'activated');
  assert.equal(h.gateway.policy?.policy.version, 7, 'v6 was for south-*, v7 for this gateway');

  const events = await auditEvents(h);
  const rejected = events.filter((e) => e.type === 'policy-rejected');
  assert.equal(rejected.length, cases.length + 1, 'every refusal is in the audit log');
  assert.ok(
    rejected.every((e) => e.type === 'policy-rejected' && e.trigger === 'fleet' && e.kept?.version === 3),
    'each names the policy kept',
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'policy-activated').map((e) => e.type === 'policy-activated' && e.policy.version),
    [2, 3, 7],
  );
  // the test's own broken offers break the contract on purpose; what the gateway sent may not
  assert.deepEqual(
    agency.violations.filter((v) => !v.startsWith('veilgate/fleet/')),
    [],
  );
});

test('a damaged or half-written stored fleet policy does not stop the start: the local file decides until the agency sends it again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-damaged-'));
  const agency = await agencyBroker();
  t.after(async () => {
    await agency.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const officer = makeSigningKeys();
  const local = await readFile(await writeFastDefaultPolicy(dir), 'utf8');
  const dataDir = join(dir, 'data');
  const opts = { trustedKeys: [officer.publicPem], upstreamUrl: agency.url, dataDir };
  let h = await startHarness(opts);
  t.after(() => h.stop());
  const publisher = await mqtt.connectAsync(agency.url, { clientId: 'agency-publisher', reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  await publisher.publishAsync(
    fleetPolicyTopic('veilgate', '*'),
    JSON.stringify(fleetMessage(widened(local, 3), officer.privatePem, { to: '*' })),
    { qos: 1, retain: true },
  );
  await waitFor('v3 in force', () => h.gateway.policy?.policy.version === 3);
  await h.stop();

  // a power cut in the middle of a write leaves the temporary file; a failing card, a cut line
  const stored = fleetPolicyFile(dataDir);
  const text = await readFile(stored, 'utf8');
  await writeFile(`${stored}.tmp`, text.slice(0, 100));
  await writeFile(stored, text.slice(0, text.length / 2));
  await agency.stop();
  h = await startHarness(opts);
  assert.equal(h.gateway.policy?.policy.version, 2, 'the local file is in force, not nothing');
  await h.stop();

  // with the agency's broker back, the retained policy is taken again and stored whole
  const again = await agencyBroker();
  t.after(() => again.stop());
  const republisher = await mqtt.connectAsync(again.url, { clientId: 'agency-publisher', reconnectPeriod: 0 });
  await republisher.publishAsync(
    fleetPolicyTopic('veilgate', '*'),
    JSON.stringify(fleetMessage(widened(local, 3), officer.privatePem, { to: '*' })),
    { qos: 1, retain: true },
  );
  await republisher.endAsync();
  h = await startHarness({ ...opts, upstreamUrl: again.url });
  await waitFor('v3 in force again', () => h.gateway.policy?.policy.version === 3);
  assert.ok(JSON.parse(await readFile(stored, 'utf8')), 'stored whole');

  // a key no longer trusted: the stored policy is not used after a restart (refused and audited)
  await h.stop();
  await again.stop();
  h = await startHarness({ ...opts, trustedKeys: [makeSigningKeys().publicPem], upstreamUrl: again.url });
  assert.equal(h.gateway.policy?.policy.version, 2);
  const rejected = (await auditEvents(h)).filter((e) => e.type === 'policy-rejected');
  assert.match(JSON.stringify(rejected.at(-1)), /does not trust/);
});

test('publish refuses a policy changed after it was signed; a config whose trusted key cannot be read does not pass its check', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-fleet-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal((await runVeilgate(['keys', 'init', '--out', dir])).code, 0);
  const again = await runVeilgate(['keys', 'init', '--out', dir]);
  assert.equal(again.code, 2, 'an existing key is never overwritten');
  assert.match(again.output, /policy-signing\.key exists/);
  const policy = await writeFastDefaultPolicy(dir);
  assert.equal((await runVeilgate(['policy', 'sign', policy, '--key', join(dir, 'policy-signing.key')])).code, 0);
  await writeFile(policy, `${await readFile(policy, 'utf8')}\n# an edit after signing\n`);
  await writeFile(join(dir, 'agency.yaml'), 'upstream:\n  url: mqtt://127.0.0.1:9\n');
  const r = await runVeilgate(['policy', 'publish', policy, '--to', '*', '--config', join(dir, 'agency.yaml')]);
  assert.equal(r.code, 2);
  assert.match(r.output, /changed after .*policy\.yaml\.sig was made .*sign it again/);

  // signing with the public half is refused with a reason, not a stack trace
  const wrongKey = await runVeilgate(['policy', 'sign', policy, '--key', join(dir, 'policy-signing.pub')]);
  assert.equal(wrongKey.code, 2);
  assert.match(wrongKey.output, /not a private key/);

  await writeFile(
    join(dir, 'gateway.yaml'),
    `policy:\n  file: ${policy}\n  trustedKeys: [./missing.pub, ./policy-signing.key]\n`,
  );
  const check = await runVeilgate(['config', 'check', '--config', join(dir, 'gateway.yaml')]);
  assert.equal(check.code, 2);
  assert.match(check.output, /policy\.trustedKeys: .*missing\.pub: file not found/);
  assert.match(check.output, /policy-signing\.key: a private key; give gateways the public key/);
});
