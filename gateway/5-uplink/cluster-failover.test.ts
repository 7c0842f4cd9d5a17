import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic } from '../../devices/index.ts';
import { connectDevice, sampleEvent } from '../../simulators/index.ts';
import { startHarness, waitFor } from '../test/harness.ts';
import { NATS_MISSING, startNatsCluster } from '../test/nats-cluster.ts';
import type { MqttUplink } from './mqtt-uplink.ts';

test(
  "upstream.urls: the node the gateway is connected to dies in the middle of a QoS 1 stream, and every record the gateway accepted reaches the agency's subscriber on another node",
  { skip: NATS_MISSING ?? false, timeout: 180_000 },
  async (t) => {
    const cluster = await startNatsCluster();
    t.after(() => cluster.stop());
    const [n1, n2, n3] = cluster.nodes;
    // the agency's subscriber, on a node that stays up: a persistent session, QoS 1
    const received = new Map<string, number>();
    const agency = await mqtt.connectAsync(n3!.mqttUrl, { clientId: 'agency', clean: false, reconnectPeriod: 500 });
    t.after(() => agency.endAsync(true));
    agency.on('message', (topic, payload) => {
      if (!topic.endsWith('/door')) return;
      const id = (JSON.parse(payload.toString()) as { id: string }).id;
      received.set(id, (received.get(id) ?? 0) + 1);
    });
    await agency.subscribeAsync('veilgate/#', { qos: 1 });

    const h = await startHarness({
      upstreamUrls: [n1!.mqttUrl, n2!.mqttUrl, n3!.mqttUrl],
      // a NATS node that loses its stream leader drops a publish without a PUBACK: find out in seconds
      upstream: { ackTimeoutMs: 5_000 },
    });
    t.after(() => h.stop());
    const uplink = (h.gateway as unknown as { uplink: MqttUplink }).uplink;
    const secret = await h.gateway.registry.add('door-1', 'sensor');
    const door = await connectDevice({ url: h.brokerUrl, deviceId: 'door-1', secret });
    t.after(() => door.endAsync(true));

    const total = 150;
    let accepted = 0;
    let killed = false;
    for (let n = 0; n < total; n++) {
      // each awaited: resolved by the gateway's PUBACK, given once the record is in its outbox
      await door.publishAsync(deviceTopic('door-1', 'events'), JSON.stringify(sampleEvent('door', n)), { qos: 1 });
      accepted++;
      if (!killed && uplink.stats.delivered >= 40) {
        n1!.kill(); // SIGKILL: no goodbye to the gateway or the cluster
        killed = true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(killed, 'the node died in the middle of the stream');
    await waitFor(
      `all ${accepted} accepted records at the agency's subscriber`,
      () => received.size >= accepted,
      120_000,
    );
    assert.equal(received.size, accepted, 'every accepted record arrived, each under its own id');
    const duplicates = [...received.values()].filter((c) => c > 1).length;
    assert.ok(uplink.stats.reconnects >= 1, 'the uplink moved to another node');
    t.diagnostic(
      `${accepted} records, ${duplicates} delivered more than once (recognised by id), ${uplink.stats.reconnects} reconnect(s), ${uplink.stats.ackTimeouts} ack timeout(s)`,
    );
  },
);
