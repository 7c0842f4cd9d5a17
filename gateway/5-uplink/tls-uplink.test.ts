import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject } from '../foundation/config/index.ts';
import { createLogger } from '../foundation/log.ts';
import { DurableOutbox } from '../4-records/outbox/index.ts';
import { waitFor } from '../test/harness.ts';
import { makeTestPki } from '../test/test-pki.ts';
import { MOSQUITTO_MISSING, startMosquitto } from '../test/upstream-brokers.ts';
import { MqttUplink } from './index.ts';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';

test(
  'records reach a Mosquitto that requires TLS, a client certificate and a password; a wrong password delivers nothing',
  { skip: MOSQUITTO_MISSING ?? false },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'veilgate-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const pki = await makeTestPki(dir, 'gw-tls');
    const upstream = await startMosquitto({ ...pki, user: 'gw-tls', password: 'correct horse' });
    t.after(() => upstream.dispose());
    assert.match(upstream.url, /^mqtts:\/\//);
    const received: string[] = [];
    const sub = await mqtt.connectAsync(upstream.url, {
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.clientCert),
      key: readFileSync(pki.clientKey),
      username: 'gw-tls',
      password: 'correct horse',
      protocolVersion: 4,
    });
    t.after(() => sub.endAsync(true));
    sub.on('message', (topic) => received.push(topic));
    await sub.subscribeAsync('veilgate/#', { qos: 1 });

    const run = async (password: string) => {
      const outbox = await DurableOutbox.open(join(dir, `outbox-${password.length}`));
      await outbox.put({
        id: `r-${password.length}`,
        topic: `veilgate/gw-tls/door-1/door`,
        payload: '{}',
        key: 'door-1',
        at: Date.now(),
      });
      const cfg = configFromObject(
        {
          gatewayId: 'gw-tls',
          upstream: {
            url: upstream.url,
            caFile: pki.ca,
            certFile: pki.clientCert,
            keyFile: pki.clientKey,
            username: 'gw-tls',
            password,
            reconnectMinMs: 200,
          },
          http: { enabled: false },
        },
        dir,
      );
      const uplink = new MqttUplink(cfg, outbox, createLogger('silent'));
      await uplink.start();
      return { outbox, uplink };
    };

    const good = await run('correct horse');
    await waitFor('delivery over TLS', () => good.outbox.size === 0);
    assert.deepEqual(received, ['veilgate/gw-tls/status', 'veilgate/gw-tls/door-1/door']);
    await good.uplink.stop();
    await good.outbox.close();

    const bad = await run('wrong');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(bad.uplink.connected, false);
    assert.equal(bad.outbox.size, 1, 'kept for when the credentials are fixed');
    assert.ok(bad.uplink.stats.reconnects >= 1, 'and it keeps trying, backing off');
    await bad.uplink.stop();
    await bad.outbox.close();
  },
);
