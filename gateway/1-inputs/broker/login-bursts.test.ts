import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { secretChecksRun } from '../../foundation/registry/secret.ts';
import { startHarness } from '../../test/harness.ts';

const connect = (url: string, username: string, password: string) =>
  mqtt.connectAsync(url, {
    clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`,
    username,
    password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });

test('30 wrong MQTT logins sent at once run no more scrypt checks than the free failures, and the address then waits', async (t) => {
  const h = await startHarness({ broker: { limits: { authFailuresBeforeBackoff: 3 } } });
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const before = secretChecksRun();
  const burst = await Promise.allSettled(
    Array.from({ length: 30 }, (_, i) => connect(h.brokerUrl, 'door-1', `guess-${i}`)),
  );
  assert.ok(
    burst.every((r) => r.status === 'rejected' && /Not authorized|Bad username or password/.test(String(r.reason))),
    'every one refused',
  );
  assert.equal(secretChecksRun() - before, 3, 'checks ran for the three free failures only');
  // the address waits now: even the right secret is refused without a check, until the wait is over
  const during = secretChecksRun();
  await assert.rejects(connect(h.brokerUrl, 'door-1', secret), /Not authorized/);
  assert.equal(secretChecksRun(), during);
});

test('an unknown MQTT user name costs one scrypt check, as a wrong secret for a known one does', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  let before = secretChecksRun();
  await assert.rejects(connect(h.brokerUrl, 'nobody-here', 'x'), /Bad username or password/);
  assert.equal(secretChecksRun() - before, 1);
  before = secretChecksRun();
  await assert.rejects(connect(h.brokerUrl, 'door-1', 'x'), /Bad username or password/);
  assert.equal(secretChecksRun() - before, 1);
  // two failures are within the free ones: the right secret still gets in
  await (await connect(h.brokerUrl, 'door-1', secret)).endAsync();
});

test('twenty devices behind one address that log in at once all get in: their checks wait their turn instead of being refused', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const secrets = await Promise.all(
    Array.from({ length: 20 }, (_, i) => h.gateway.registry.add(`door-${i}`, 'sensor')),
  );
  const before = secretChecksRun();
  const clients = await Promise.all(
    secrets.map((secret, i) =>
      mqtt.connectAsync(h.brokerUrl, {
        clientId: `door-${i}`,
        username: `door-${i}`,
        password: secret,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      }),
    ),
  );
  t.after(() => Promise.all(clients.map((c) => c.endAsync(true))));
  assert.equal(clients.filter((c) => c.connected).length, 20);
  assert.equal(secretChecksRun() - before, 20);
});
