import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { startHarness, waitFor, type Harness } from '../../test/harness.ts';
import { makeTestPki } from '../../test/test-pki.ts';
import { issueDeviceCert } from '../../operations/certs/pki.ts';
import { cleanups } from '../../test/cleanup.ts';
import { veilgateOk } from '../../test/run-veilgate.ts';

const listener = (h: Harness, kind: 'mqtts' | 'ws') =>
  h.gateway.extraListeners.find((l) => l.kind === kind)!.address.port;
const event = () => JSON.stringify(sampleEvent('door', 0));

test('mqtts: certs init makes a CA and server certificate; devices log in with a password or with their own client certificate', async (t) => {
  const defer = cleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-tls-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'gateway.yaml');
  await writeFile(cfg, 'dataDir: ./data\n');
  const init = await veilgateOk(['certs', 'init', '--name', '127.0.0.1', 'gw.local', '--config', cfg]);
  assert.match(init.stdout, /clientCertAuth: true/);
  await assert.rejects(veilgateOk(['certs', 'device', 'door-2', '--config', cfg]), /no device door-2: add it first/);
  await veilgateOk(['devices', 'add', 'door-2', '--kind', 'sensor', '--config', cfg]);
  await veilgateOk(['certs', 'device', 'door-2', '--config', cfg]);
  await assert.rejects(veilgateOk(['certs', 'init', '--config', cfg]), /exists already/);
  const certs = join(dir, 'data', 'certs');
  const h = await startHarness({
    dataDir: join(dir, 'data'),
    broker: {
      tls: {
        enabled: true,
        port: 0,
        certFile: join(certs, 'server.pem'),
        keyFile: join(certs, 'server.key'),
        caFile: join(certs, 'ca.pem'),
        clientCertAuth: true,
      },
    },
  });
  defer(() => h.stop());
  const ca = await readFile(join(certs, 'ca.pem'));
  const url = `mqtts://127.0.0.1:${listener(h, 'mqtts')}`;

  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const byPassword = await mqtt.connectAsync(url, {
    ca,
    clientId: 'door-1',
    username: 'door-1',
    password: secret,
    reconnectPeriod: 0,
  });
  await byPassword.publishAsync(deviceTopic('door-1', 'events'), event(), { qos: 1 });
  await byPassword.endAsync();

  const cert = await readFile(join(certs, 'device-door-2.pem'));
  const key = await readFile(join(certs, 'device-door-2.key'));
  const byCert = await mqtt.connectAsync(url, { ca, cert, key, clientId: 'door-2', reconnectPeriod: 0 });
  await byCert.publishAsync(deviceTopic('door-2', 'events'), event(), { qos: 1 });
  await byCert.endAsync();
  await waitFor('both records upstream', () =>
    ['door-1', 'door-2'].every((d) => h.upstream.some((r) => r.topic.includes(`/${d}/door`))),
  );

  // a certificate from the CA for an id that is not a provisioned device
  const stranger = await issueDeviceCert(certs, 'stranger', 2);
  const strangerCert = { cert: await readFile(stranger.cert), key: await readFile(stranger.key) };
  await assert.rejects(
    mqtt.connectAsync(url, { ca, ...strangerCert, clientId: 'stranger', reconnectPeriod: 0 }),
    /Not authorized/,
  );
  // a certificate from some other CA, naming a real device: not verified, so it counts for nothing
  const other = await makeTestPki(join(dir, 'other'), 'door-2');
  await assert.rejects(
    mqtt.connectAsync(url, {
      ca,
      cert: await readFile(other.clientCert),
      key: await readFile(other.clientKey),
      clientId: 'door-2',
      reconnectPeriod: 0,
    }),
    /Not authorized/,
  );
  // and a client that does not trust the gateway's CA does not connect at all
  await assert.rejects(
    mqtt.connectAsync(url, {
      clientId: 'door-1',
      username: 'door-1',
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    }),
    /self-signed|certificate/,
  );
});

test('WebSocket: devices connect over ws, and a message beyond maxPayload closes only that connection', async (t) => {
  const h = await startHarness({ broker: { websocket: { enabled: true, port: 0, maxPayload: 64 * 1024 } } });
  t.after(() => h.stop());
  const url = `ws://127.0.0.1:${listener(h, 'ws')}`;
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(url, {
    clientId: 'door-1',
    username: 'door-1',
    password: secret,
    reconnectPeriod: 0,
  });
  t.after(() => door.endAsync(true));
  await door.publishAsync(deviceTopic('door-1', 'events'), event(), { qos: 1 });
  await waitFor('the record upstream', () => h.upstream.some((r) => r.topic.endsWith('/door-1/door')));

  const camSecret = await h.gateway.registry.add('cam-1', 'camera');
  const cam = await mqtt.connectAsync(url, {
    clientId: 'cam-1',
    username: 'cam-1',
    password: camSecret,
    reconnectPeriod: 0,
  });
  const closed = new Promise<void>((r) => cam.once('close', () => r()));
  cam.publish(deviceTopic('cam-1', 'frames'), Buffer.alloc(200 * 1024, 0xff), { qos: 0 });
  await closed;
  assert.equal(door.connected, true);
  await door.publishAsync(deviceTopic('door-1', 'events'), event(), { qos: 1 });
});
