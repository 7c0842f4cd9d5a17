import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../../../devices/index.ts';
import { sampleEvent } from '../../../simulators/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';

test('the metrics endpoint shows outbox depth and age, deliveries, drops, the upstream connection, the policy in force and the audit head', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  await waitFor('the uplink', () => h.gateway.uplink.connected);
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const c = await mqtt.connectAsync(h.brokerUrl, { username: 'door-1', password: secret, reconnectPeriod: 0 });
  await c.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', 0)), { qos: 1 });
  await c.endAsync();
  await waitFor('delivery', () => h.gateway.uplink.stats.delivered >= 1);
  const url = `http://127.0.0.1:${h.gateway.httpAddress!.port}/metrics`;
  const body = await (await fetch(url)).text();
  const value = (line: string) =>
    Number(
      body
        .split('\n')
        .find((l) => l.startsWith(`${line} `))
        ?.split(' ')[1],
    );
  assert.equal(value('veilgate_upstream_connected'), 1);
  assert.equal(value('veilgate_outbox_depth'), 0);
  assert.equal(value('veilgate_outbox_oldest_age_seconds'), 0);
  assert.ok(value('veilgate_uplink_delivered_total') >= 1);
  assert.equal(value('veilgate_decisions_total{action="forward"}'), 1);
  assert.match(body, /# TYPE veilgate_outbox_dropped_total counter/);
  assert.equal(value('veilgate_policy_in_force'), 1);
  assert.equal(value('veilgate_policy_version'), h.gateway.policy!.policy.version);
  assert.equal(value('veilgate_audit_seq'), h.gateway.audit.chainHead.seq);
  assert.equal(value('veilgate_storage_errors_total'), 0);
  assert.match(body, /# TYPE veilgate_detections_total counter/);
  assert.ok(value('veilgate_login_checks_total') >= 1, 'the sensor login ran a check');
  assert.ok(value('veilgate_broker_connections') >= 0);
  assert.equal((await fetch(url.replace('/metrics', '/no-such-page'))).status, 404);
  assert.equal(h.gateway.httpAddress!.address, '127.0.0.1');
});
