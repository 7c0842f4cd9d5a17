import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../test/harness.ts';
import { MOSQUITTO_MISSING, startMosquitto } from '../test/upstream-brokers.ts';
import { cleanups } from '../test/cleanup.ts';
import { TakeoverWatch } from './takeover.ts';

test('connections cut right after they are accepted, three times in five minutes, look taken over; long ones do not', () => {
  let now = 0;
  const w = new TakeoverWatch(() => now);
  for (let i = 0; i < 3; i++) {
    w.connected();
    now += 2_000;
    assert.equal(TakeoverWatch.isShort(w.closed()), true);
    now += 1_000;
  }
  assert.equal(w.suspected, true);
  now += 6 * 60_000;
  assert.equal(w.suspected, false, 'forgotten after five minutes');
  w.connected();
  now += 60_000;
  assert.equal(TakeoverWatch.isShort(w.closed()), false);
  assert.equal(w.closed(), null, 'a close without a connection');
  assert.equal(w.suspected, false);
});

test(
  'two gateways with the same gatewayId on one Mosquitto: each says so in its log and on its status page, instead of reconnecting in silence',
  { skip: MOSQUITTO_MISSING ?? false },
  async (t) => {
    const defer = cleanups(t);
    const mosquitto = await startMosquitto();
    defer(() => mosquitto.dispose());
    const lines: string[][] = [[], []];
    // the harness gives both the same gatewayId, so the same upstream client id
    const a = await startHarness({ upstreamUrl: mosquitto.url, logLines: lines[0]! });
    defer(() => a.stop());
    const b = await startHarness({ upstreamUrl: mosquitto.url, logLines: lines[1]! });
    let bStopped = false;
    defer(() => (bStopped ? undefined : b.stop()));
    await waitFor(
      'both see their session taken over',
      () => a.gateway.uplink.takenOver && b.gateway.uplink.takenOver,
      60_000,
    );
    for (const [i, h] of [a, b].entries()) {
      assert.ok(
        lines[i]!.some((l) => /same client id, most likely a second gateway with the same gatewayId/.test(l)),
        `gateway ${i + 1} logged it`,
      );
      assert.ok(h.gateway.status().warnings.some((w) => /another gateway using gatewayId gw-test/.test(w)));
    }
    // the positive control: one gateway alone on the broker stays connected and sees nothing of the kind
    await b.stop();
    bStopped = true;
    await waitFor('the first gateway connected and left alone', () => a.gateway.uplink.connected, 30_000);
    const reconnects = a.gateway.uplink.stats.reconnects;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(a.gateway.uplink.stats.reconnects, reconnects, 'no more reconnects once alone');
    assert.equal(a.gateway.uplink.connected, true);
  },
);
