import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { issueDeviceCert } from '../../operations/certs/pki.ts';
import { recordOf } from '../../foundation/registry/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';
import { sum, tallyAudit } from '../../test/audit-tally.ts';
import { cleanups } from '../../test/cleanup.ts';
import { veilgateOk } from '../../test/run-veilgate.ts';

/** `certs init` and the broker.tls lines it prints, in a config the CLI uses, and a gateway started on it. */
async function tlsGateway(t: TestContext) {
  const defer = cleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-certs-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'gateway.yaml');
  await writeFile(config, 'dataDir: ./data\n');
  const cli = async (...args: string[]) => (await veilgateOk([...args, '--config', config])).stdout;
  const certs = join(dir, 'data', 'certs');
  await cli('certs', 'init', '--name', '127.0.0.1');
  const tls = {
    enabled: true,
    certFile: join(certs, 'server.pem'),
    keyFile: join(certs, 'server.key'),
    caFile: join(certs, 'ca.pem'),
    clientCertAuth: true,
  };
  await writeFile(config, `dataDir: ./data\nbroker:\n  tls: ${JSON.stringify(tls)}\n`);
  const h = await startHarness({ dataDir: join(dir, 'data'), broker: { tls: { ...tls, port: 0 } } });
  defer(() => h.stop());
  const ca = await readFile(join(certs, 'ca.pem'));
  const url = `mqtts://127.0.0.1:${h.gateway.extraListeners.find((l) => l.kind === 'mqtts')!.address.port}`;
  return { cli, certs, h, ca, url };
}

/**
 * The operator's answers to a leaked or retired credential, through the CLI, against a running gateway
 * and real TLS clients: every certificate but the one the registry holds now is refused, and a session
 * opened with one that just stopped counting is cut.
 */
test('only the current certificate logs in: rotate, re-issue, revoke, and remove then re-add as a consumer each end the old one, live sessions included', async (t) => {
  const { cli, certs, h, ca, url } = await tlsGateway(t);
  await cli('devices', 'add', 'cam-1', '--kind', 'camera');
  await cli('devices', 'add', 'door-1', '--kind', 'sensor');
  assert.match(await cli('certs', 'device', 'cam-1'), /valid until/);
  await cli('certs', 'device', 'door-1');
  const files = async (id: string) => ({
    cert: await readFile(join(certs, `device-${id}.pem`)),
    key: await readFile(join(certs, `device-${id}.key`)),
  });
  const connect = (id: string, c: { cert: Buffer; key: Buffer }) =>
    mqtt.connectAsync(url, { ca, ...c, clientId: id, reconnectPeriod: 0, connectTimeout: 5000 });
  const cut = (c: MqttClient) => new Promise<void>((r) => (c.connected ? c.once('close', () => r()) : r()));

  // the days come from broker.tls.deviceCertDays (90 by default), not the 825 a server certificate gets
  const listed = await cli('devices', 'list');
  const until = /cam-1\tcamera\t.*certificate \w+ until (\S+)/.exec(listed)?.[1];
  assert.ok(until, listed);
  assert.ok(Math.abs(Date.parse(until) - Date.now() - 90 * 86_400_000) < 86_400_000, until);

  // rotate: the secret and the certificate end together; the live session is cut, the certificate refused
  const first = await files('cam-1');
  const live = await connect('cam-1', first);
  const liveCut = cut(live);
  assert.match(await cli('devices', 'rotate', 'cam-1'), /certificate is ended too/);
  await liveCut;
  await assert.rejects(connect('cam-1', first), /Not authorized/);

  // re-issue: the new one works, the one before it does not, though the CA signed both
  await cli('certs', 'device', 'cam-1');
  const second = await files('cam-1');
  const cam = await connect('cam-1', second);
  await cam.publishAsync(deviceTopic('cam-1', 'status'), 'online', { qos: 1, retain: true });
  await assert.rejects(connect('cam-1', first), /Not authorized/);

  // revoke: cut at once, refused after
  const camCut = cut(cam);
  assert.match(await cli('certs', 'revoke', 'cam-1'), /revoked cam-1's certificate/);
  await camCut;
  await assert.rejects(connect('cam-1', second), /Not authorized/);

  // removed, then added again under the same id as a consumer: the sensor's certificate is nobody's now
  const doorCert = await files('door-1');
  const door = await connect('door-1', doorCert);
  await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
  const doorCut = cut(door);
  await cli('devices', 'remove', 'door-1');
  await doorCut;
  await cli('devices', 'add', 'door-1', '--kind', 'consumer');
  await assert.rejects(connect('door-1', doorCert), /Not authorized/);

  // each refusal of a certificate that was ours is counted and audited against its device
  await waitFor('refusals counted', () => (h.gateway.counters.refused.CERT_REVOKED ?? 0) >= 4);
  await h.gateway.recordWindowsNow();
  const audit = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  assert.equal(sum(audit.refused.filter((r) => r.deviceId === 'cam-1' && r.code === 'CERT_REVOKED')), 3);
  assert.equal(sum(audit.refused.filter((r) => r.deviceId === 'door-1' && r.code === 'CERT_REVOKED')), 1);
});

test('an expired certificate is refused and named as expired in the counters and the audit log; an unrecorded one from the CA is refused too', async (t) => {
  const { cli, certs, h, ca, url } = await tlsGateway(t);
  await cli('devices', 'add', 'door-9', '--kind', 'sensor');

  // made by our CA and recorded as the device's, but its notAfter has passed (the CLI refuses to make one)
  const expired = await issueDeviceCert(certs, 'door-9', -1);
  await h.gateway.registry.reload();
  await h.gateway.registry.setCertificate('door-9', recordOf(expired.facts));
  const pair = { cert: await readFile(expired.cert), key: await readFile(expired.key) };
  await assert.rejects(
    mqtt.connectAsync(url, { ca, ...pair, clientId: 'door-9', reconnectPeriod: 0 }),
    /Not authorized/,
  );
  await waitFor('counted as expired', () => h.gateway.counters.refused.CERT_EXPIRED === 1);
  await h.gateway.recordWindowsNow();
  const audit = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  assert.equal(sum(audit.refused.filter((r) => r.deviceId === 'door-9' && r.code === 'CERT_EXPIRED')), 1);

  // a valid certificate from the CA that was never recorded (made outside `certs device`): refused
  const unrecorded = await issueDeviceCert(certs, 'door-9', 2);
  await assert.rejects(
    mqtt.connectAsync(url, {
      ca,
      cert: await readFile(unrecorded.cert),
      key: await readFile(unrecorded.key),
      clientId: 'door-9',
      reconnectPeriod: 0,
    }),
    /Not authorized/,
  );
  // recorded by the CLI as an agency-issued certificate, it logs in; the CLI refuses one for another CN
  assert.match(
    await cli('certs', 'device', 'door-9', '--cert', unrecorded.cert),
    /recorded .* as door-9's certificate/,
  );
  const ok = await mqtt.connectAsync(url, {
    ca,
    cert: await readFile(unrecorded.cert),
    key: await readFile(unrecorded.key),
    clientId: 'door-9',
    reconnectPeriod: 0,
  });
  // a session outlives its certificate by at most the minute between the gateway's checks
  await h.gateway.registry.reload();
  const rec = h.gateway.registry.get('door-9')!.certificate!;
  await h.gateway.registry.setCertificate('door-9', { ...rec, notAfter: new Date(Date.now() + 1500).toISOString() });
  await new Promise((r) => setTimeout(r, 500));
  h.gateway.disconnectStaleCredentials();
  assert.equal(ok.connected, true, 'still within its dates');
  const ended = new Promise<void>((r) => ok.once('close', () => r()));
  await new Promise((r) => setTimeout(r, 1200));
  h.gateway.disconnectStaleCredentials();
  await ended;
  await cli('devices', 'add', 'door-8', '--kind', 'sensor');
  await assert.rejects(cli('certs', 'device', 'door-8', '--cert', unrecorded.cert), /is for CN=door-9, not door-8/);
});
