import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { startHarness, waitFor } from '../../test/harness.ts';
import { InlineRunner } from '../../2-pipeline/runner.ts';
import { addressKey } from './index.ts';

/** Opens a TCP connection from `from` that never sends a byte; resolves once it is connected or refused. */
function silent(port: number, from: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('close', () => resolve(s));
  });
}

test(
  'one address flooding the listeners with sockets that never log in cannot keep real devices out, and its warnings are rate-limited',
  { timeout: 90_000 },
  async (t) => {
    const logLines: string[] = [];
    const h = await startHarness({
      frames: new InlineRunner(null),
      logLines,
      broker: { websocket: { enabled: true, port: 0 }, limits: { maxPendingPerAddress: 16, maxConnections: 1000 } },
    });
    t.after(() => h.stop());
    const port = h.gateway.address.port;
    const wsPort = h.gateway.extraListeners.find((l) => l.kind === 'ws')!.address.port;
    // 1,100 silent TCP sockets and 20 WebSocket connections that never send CONNECT, all from 127.0.0.2
    const flood: Socket[] = [];
    for (let i = 0; i < 1100; i += 50)
      flood.push(...(await Promise.all(Array.from({ length: 50 }, () => silent(port, '127.0.0.2')))));
    const wsFlood = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<WebSocket>((r) => {
            const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`, 'mqtt', { localAddress: '127.0.0.2' });
            ws.on('error', () => {});
            ws.once('open', () => r(ws));
            ws.once('close', () => r(ws));
          }),
      ),
    );
    t.after(() => {
      for (const s of flood) s.destroy();
      for (const w of wsFlood) w.terminate();
    });
    await new Promise((r) => setTimeout(r, 300));
    const open =
      flood.filter((s) => !s.destroyed && s.readyState === 'open').length +
      wsFlood.filter((w) => w.readyState === WebSocket.OPEN).length;
    assert.ok(
      open <= 16,
      `at most 16 of the flood's connections are held open, over TCP and WebSocket together (${open})`,
    );

    // meanwhile, 20 real devices from 127.0.0.1 all connect (8 at a time: they too share one address's 16)
    const secrets = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.gateway.registry.add(`door-${i}`, 'sensor')),
    );
    const devices: mqtt.MqttClient[] = [];
    for (let i = 0; i < 20; i += 8) {
      devices.push(
        ...(await Promise.all(
          secrets.slice(i, i + 8).map((secret, j) =>
            mqtt.connectAsync(h.brokerUrl, {
              clientId: `door-${i + j}`,
              username: `door-${i + j}`,
              password: secret,
              reconnectPeriod: 0,
              connectTimeout: 5000,
            }),
          ),
        )),
      );
    }
    t.after(() => Promise.all(devices.map((d) => d.endAsync(true))));
    assert.equal(devices.filter((d) => d.connected).length, 20);

    await waitFor('refusals counted', () => (h.gateway.counters.refused.TOO_MANY_PENDING ?? 0) >= 1000);
    const floodLines = logLines.filter((l) => l.includes('TOO_MANY_PENDING'));
    assert.ok(
      floodLines.length <= 2,
      `the refusals are logged once a minute with a count, not once each (${floodLines.length} lines for ${h.gateway.counters.refused.TOO_MANY_PENDING} refusals)`,
    );
  },
);

test('addresses are counted apart, IPv6 by its /64', () => {
  assert.notEqual(addressKey('127.0.0.1'), addressKey('127.0.0.2'));
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe'));
  assert.equal(addressKey('2001:0db8:0001:0002:0:0:0:1'), '2001:db8:1:2::/64');
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
});
