import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../devices/index.ts';
import { sampleEvent } from '../simulators/index.ts';
import { startHarness, waitFor } from './test/harness.ts';
import { contractViolation } from './test/upstream-contract.ts';

const record = {
  schemaVersion: 1,
  id: 'r-1',
  gatewayId: 'gw-1',
  deviceId: 'door-1',
  recordType: 'door',
  policy: { id: 'veilgate-default', version: 2, sha256: 'a'.repeat(64) },
  fields: { type: 'door', at: '2026-11-25T10:42:00.000Z' },
};
const check = (r: unknown, topic = 'veilgate/gw-1/door-1/door') =>
  contractViolation('veilgate', topic, Buffer.from(JSON.stringify(r)));

test('the published record schemas refuse what the agency must not be sent: unknown fields, no version, a raw value where a band is due', () => {
  assert.equal(check(record), null, 'a record as the gateway sends it');
  assert.equal(check({ ...record, fields: { ...record.fields, open: true } }), null, 'open is a door field');
  assert.notEqual(check({ ...record, fields: { ...record.fields, dbA: 80 } }), null, 'door records have no dbA');
  const { schemaVersion: _v, ...unversioned } = record;
  assert.notEqual(check(unversioned), null, 'schemaVersion is required');
  assert.notEqual(check({ ...record, extra: 1 }), null, 'the envelope is closed');
  const counts = {
    ...record,
    recordType: 'counts',
    fields: { windowStart: '2026-11-25T10:42:00.000Z', person: '<3', vehicle: '10-49' },
  };
  assert.equal(check(counts, 'veilgate/gw-1/cam-1/counts'), null, 'suppressed and bucketed counts');
  assert.notEqual(
    check({ ...counts, fields: { person: 'three' } }, 'veilgate/gw-1/cam-1/counts'),
    null,
    'a count is a number or a band',
  );
  assert.notEqual(check(record, 'veilgate/gw-1/door-1/faces'), null, 'no contract for an unknown record type');
});

test('every message a gateway sends upstream meets the published contract, and records carry schemaVersion and gatewayId', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const door = await mqtt.connectAsync(h.brokerUrl, { clientId: 'door-1', username: 'door-1', password: secret });
  t.after(() => door.endAsync());
  for (let n = 0; n < 3; n++)
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
  await waitFor('three door records upstream', () => h.upstream.filter((r) => r.topic.endsWith('/door')).length >= 3);
  const r = JSON.parse(h.upstream.find((m) => m.topic.endsWith('/door'))!.payload.toString());
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.gatewayId, 'gw-test');
  assert.ok(
    h.upstream.some((m) => m.topic.endsWith('/status')),
    'the status message is checked too (positive control for the checker seeing gateway messages)',
  );
  assert.deepEqual(h.contractViolations, []);
});
