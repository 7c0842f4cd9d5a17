import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, waitFor } from '../test/harness.ts';
import { checkDelivery, SEQUENCE_POLICY, startSequencedDevices } from '../test/sequenced-events.ts';
import {
  agencySubscriber,
  MOSQUITTO_MISSING,
  startAedesUpstream,
  startMosquitto,
  type UpstreamBroker,
} from '../test/upstream-brokers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of ['mosquitto', 'aedes'] as const) {
  test(
    `an upstream ${kind} that goes away for a while gets every acknowledged record once, in order per device`,
    { skip: kind === 'mosquitto' ? (MOSQUITTO_MISSING ?? false) : false },
    async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'veilgate-outage-'));
      const policyFile = join(dir, 'policy.yaml');
      await writeFile(policyFile, SEQUENCE_POLICY);
      const received: Array<{ topic: string; payload: Buffer }> = [];
      const keep = (topic: string, payload: Buffer) => received.push({ topic, payload });
      let upstream: UpstreamBroker;
      if (kind === 'mosquitto') {
        upstream = await startMosquitto();
        const sub = await agencySubscriber(upstream.url, 'veilgate/#', keep);
        t.after(() => sub.endAsync(true));
      } else {
        upstream = await startAedesUpstream(keep);
      }
      t.after(() => upstream.dispose());
      const h = await startHarness({ policyFile, upstreamUrl: upstream.url });
      t.after(async () => {
        await h.stop();
        await rm(dir, { recursive: true, force: true });
      });
      await waitFor('the uplink', () => h.gateway.uplink.connected);
      const creds = await Promise.all(
        ['door-a', 'door-b', 'door-c'].map(async (id) => ({
          deviceId: id,
          secret: await h.gateway.registry.add(id, 'sensor'),
        })),
      );
      const devices = await startSequencedDevices(h.brokerUrl, creds, 5);

      // progress, not time, paces each phase, so a slow machine runs the same test
      const ackedCount = () => [...devices.acked.values()].reduce((n, s) => n + s.size, 0);
      await waitFor('events acknowledged before the outage', () => ackedCount() >= 200, 30_000);
      await upstream.stop();
      await waitFor('the uplink to notice', () => !h.gateway.uplink.connected);
      await waitFor('a backlog to build up while upstream is away', () => h.gateway.outbox.size > 150, 30_000);
      const backlog = h.gateway.outbox.size;
      await upstream.start();
      const resumed = ackedCount();
      await waitFor('events acknowledged after the outage', () => ackedCount() >= resumed + 200, 30_000);
      await devices.stop();
      await waitFor('the outbox to drain', () => h.gateway.outbox.size === 0 && h.gateway.uplink.connected, 20_000);
      await sleep(500); // the subscriber's last deliveries
      const r = checkDelivery(devices.acked, received);
      assert.ok(r.acked > 500, `${r.acked} events acknowledged`);
      assert.ok(h.gateway.uplink.stats.reconnects >= 1);
      t.diagnostic(
        `${kind}: ${r.acked} acknowledged, ${r.records} delivered, ${r.duplicates} duplicates, backlog ${backlog}, reconnects ${h.gateway.uplink.stats.reconnects}`,
      );
    },
  );
}
