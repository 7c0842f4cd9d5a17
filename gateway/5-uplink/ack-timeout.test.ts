import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aedes } from 'aedes';
import { deviceTopic } from '../../devices/index.ts';
import { connectDevice, sampleEvent } from '../../simulators/index.ts';
import { listenTcp } from '../1-inputs/broker/index.ts';
import { startHarness, waitFor } from '../test/harness.ts';
import type { MqttUplink } from './mqtt-uplink.ts';

test('a record the upstream broker swallows without a PUBACK is sent again on a new connection after ackTimeoutMs', async (t) => {
  // an upstream that takes the first door record and never answers it, as a cluster node losing its
  // stream leader does; everything after is acknowledged
  let swallowed = 0;
  const received = new Set<string>();
  const broker = await Aedes.createBroker({
    id: 'swallowing-upstream',
    authorizePublish(client, packet, done) {
      if (client && packet.topic.endsWith('/door') && swallowed === 0) {
        swallowed++;
        return; // no callback: no PUBACK, ever
      }
      done(null);
    },
  });
  broker.on('publish', (packet, client) => {
    if (client && packet.topic.endsWith('/door'))
      received.add((JSON.parse(packet.payload.toString()) as { id: string }).id);
  });
  const { server, address } = await listenTcp(broker, '127.0.0.1', 0);
  const h = await startHarness({ upstreamUrl: `mqtt://127.0.0.1:${address.port}`, upstream: { ackTimeoutMs: 1_000 } });
  const uplink = (h.gateway as unknown as { uplink: MqttUplink }).uplink;
  const secret = await h.gateway.registry.add('door-1', 'sensor');
  const door = await connectDevice({ url: h.brokerUrl, deviceId: 'door-1', secret });
  // in this order: the upstream's server closes only once the gateway's connections to it have
  t.after(async () => {
    await door.endAsync(true);
    await h.stop();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  for (let n = 0; n < 3; n++)
    await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
  await waitFor(
    'all three records acknowledged upstream',
    () => received.size === 3 && uplink.stats.delivered >= 3,
    15_000,
  );
  assert.equal(swallowed, 1, 'the upstream swallowed one');
  assert.ok(uplink.stats.ackTimeouts >= 1, `the uplink noticed (${uplink.stats.ackTimeouts} ack timeouts)`);
  assert.ok(uplink.stats.reconnects >= 1, 'and sent it again on a new connection');
});
