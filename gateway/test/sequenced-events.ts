import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { deviceTopic, isGatewayMessageTopic } from '../../devices/index.ts';
import { YESTERDAY } from './harness.ts';
import { connectDevice } from '../../simulators/index.ts';

/**
 * Door sensors that send numbered QoS 1 events (the number is the millisecond offset of `at` from a
 * base time) and remember which ones the gateway acknowledged. With a policy that lets `at` out
 * unrounded, every upstream record can be traced back to the event it came from.
 */
export const SEQUENCE_POLICY = `id: sequence-test
version: 1
title: Door events with exact times, for delivery tests
rules:
  - id: doors
    match: { recordTypes: [door] }
    allow: [type, at, open]
`;

// recent enough for events.maxAgeSeconds, and the same for sender and checker
const BASE = YESTERDAY;

export interface SequencedDevices {
  acked: Map<string, Set<number>>;
  stop(): Promise<void>;
}

export async function startSequencedDevices(
  url: string,
  creds: Array<{ deviceId: string; secret: string }>,
  everyMs: number,
): Promise<SequencedDevices> {
  const acked = new Map<string, Set<number>>();
  const clients: MqttClient[] = [];
  let running = true;
  const loops = creds.map(async (c) => {
    const client = await connectDevice({ url, ...c });
    clients.push(client);
    const mine = new Set<number>();
    acked.set(c.deviceId, mine);
    for (let seq = 0; running; seq++) {
      const payload = JSON.stringify({ type: 'door', at: new Date(BASE + seq).toISOString(), open: seq % 2 === 0 });
      // not awaited: the device keeps sending while earlier events wait for their PUBACK
      client.publishAsync(deviceTopic(c.deviceId, 'events'), payload, { qos: 1 }).then(
        () => mine.add(seq),
        () => {},
      );
      await new Promise((r) => setTimeout(r, everyMs));
    }
  });
  await new Promise((r) => setTimeout(r, 50));
  return {
    acked,
    async stop() {
      running = false;
      await Promise.all(loops);
      // let the last events be acknowledged or refused before disconnecting
      await new Promise((r) => setTimeout(r, 300));
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

/**
 * Every acknowledged event arrived; a duplicate always carries the id of its first delivery; and per
 * device, first deliveries are in the order the events were sent.
 */
export function checkDelivery(
  acked: Map<string, Set<number>>,
  received: Array<{ topic: string; payload: Buffer }>,
): { records: number; duplicates: number; acked: number } {
  const idOfSeq = new Map<string, string>();
  const firstSeen = new Map<string, number[]>();
  let duplicates = 0;
  for (const r of received) {
    if (isGatewayMessageTopic(r.topic)) continue;
    const rec = JSON.parse(r.payload.toString()) as { id: string; deviceId: string; fields: { at: string } };
    const seq = Date.parse(rec.fields.at) - BASE;
    const key = `${rec.deviceId}#${seq}`;
    const known = idOfSeq.get(key);
    if (known !== undefined) {
      assert.equal(rec.id, known, `${key} arrived twice under different ids`);
      duplicates++;
      continue;
    }
    idOfSeq.set(key, rec.id);
    const list = firstSeen.get(rec.deviceId) ?? [];
    list.push(seq);
    firstSeen.set(rec.deviceId, list);
  }
  let ackedCount = 0;
  for (const [device, seqs] of acked) {
    ackedCount += seqs.size;
    const missing = [...seqs].filter((s) => !idOfSeq.has(`${device}#${s}`));
    assert.deepEqual(missing, [], `${device}: acknowledged events that never arrived`);
    const order = firstSeen.get(device) ?? [];
    const outOfOrder = order.filter((s, i) => i > 0 && s < order[i - 1]!);
    assert.deepEqual(outOfOrder, [], `${device}: first deliveries out of order`);
  }
  return { records: idOfSeq.size, duplicates, acked: ackedCount };
}
