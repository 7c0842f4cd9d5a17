import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sum, tallyAudit } from '../../test/audit-tally.ts';
import { InlineRunner } from '../../2-pipeline/index.ts';
import { isGatewayMessageTopic } from '../../../devices/index.ts';
import { startSensorSim } from '../../../simulators/index.ts';
import { startHarness, waitFor } from '../../test/harness.ts';
import { SimulatedIo } from './simulated-io.ts';
import { GPIO_BURST, GPIO_EVENTS_PER_SECOND } from './sensors.ts';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const upstreamOf = (records: Array<{ topic: string; payload: Buffer }>, type: string) =>
  records
    .filter((r) => !isGatewayMessageTopic(r.topic) && r.topic.endsWith(`/${type}`))
    .map((r) => ({
      topic: r.topic,
      body: JSON.parse(r.payload.toString()) as { fields: Record<string, unknown>; policy: { version: number } },
    }));

test('a door opened on a GPIO pin reaches upstream as the policy allows, with its decision in the audit log', async (t) => {
  const h = await startHarness({
    frames: new InlineRunner(null),
    gpio: { io: 'simulated' },
    sensors: [
      { id: 'door-gpio', kind: 'door', pin: 4 },
      { id: 'panic-gpio', kind: 'panic', pin: 5 },
    ],
  });
  t.after(() => h.stop());
  const io = h.gateway.gpio!.io as SimulatedIo;
  await waitFor('the GPIO sensors online', () => h.gateway.deviceOnline('door-gpio'));
  await new Promise((r) => setTimeout(r, 100)); // their levels at start: the baseline, not events
  io.set(4, 0); // shut
  await new Promise((r) => setTimeout(r, 100));
  io.set(4, undefined); // opened
  io.set(5, 0); // panic pressed
  await waitFor(
    'door and panic records upstream',
    () => upstreamOf(h.upstream, 'door').length >= 2 && upstreamOf(h.upstream, 'panic').length >= 1,
  );
  const doors = upstreamOf(h.upstream, 'door');
  assert.equal(doors[0]!.topic, 'veilgate/gw-test/door-gpio/door');
  // the default policy lets out only that a door event happened, and its minute
  assert.deepEqual(Object.keys(doors[0]!.body.fields).sort(), ['at', 'type']);
  assert.match(String(doors[0]!.body.fields.at), /:00(\.000)?Z$/);
  assert.equal(doors[0]!.body.policy.version, h.gateway.policy!.policy.version);
  await h.gateway.recordWindowsNow();
  const tally = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  const audit = tally.entries;
  const decisions = tally.decisions.filter((d) => d.deviceId === 'door-gpio');
  assert.deepEqual(
    decisions.map((d) => [d.action, d.policy?.version, d.count]),
    [['forward', h.gateway.policy!.policy.version, 2]],
  );
  // listed with the provisioned devices, for the transparency report
  assert.ok(
    audit.some(
      (e) =>
        e.event.type === 'device' &&
        e.event.action === 'added' &&
        e.event.deviceId === 'door-gpio' &&
        e.event.kind === 'sensor',
    ),
  );
  const status = h.gateway.status();
  assert.deepEqual(
    status.devices.filter((d) => d.id.endsWith('-gpio')).map((d) => [d.id, d.kind, d.online]),
    [
      ['door-gpio', 'door (gpio 4)', true],
      ['panic-gpio', 'panic (gpio 5)', true],
    ],
  );
});

const gpiomon = spawnSync('gpiomon', ['--version']).status === 0;

test(
  'GPIO through libgpiod on a box without that chip: a clear GPIO_UNAVAILABLE, and MQTT sensors carry on',
  { skip: gpiomon ? false : 'the libgpiod tools are not installed (Debian package gpiod; .ci/run installs it)' },
  async (t) => {
    const h = await startHarness({
      frames: new InlineRunner(null),
      allowAnonymous: false,
      gpio: { io: 'gpiod', chip: 'gpiochip-veilgate-missing' },
      sensors: [{ id: 'pir-gpio', kind: 'pir', pin: 17 }],
    });
    t.after(() => h.stop());
    await waitFor('the GPIO problem reported', () =>
      h.gateway.status().warnings.some((w) => w.startsWith('The GPIO sensor pir-gpio cannot be read')),
    );
    const warning = h.gateway.status().warnings.find((w) => w.startsWith('The GPIO sensor pir-gpio cannot be read'))!;
    assert.match(warning, /gpioget gpiochip-veilgate-missing 17: .+/, warning);
    assert.equal(h.gateway.status().devices.find((d) => d.id === 'pir-gpio')?.online, false);
    const sim = await startSensorSim({
      url: h.brokerUrl,
      deviceId: 'door-1',
      secret: await h.gateway.registry.add('door-1', 'sensor'),
      type: 'door',
      every: 0.2,
    });
    t.after(() => sim.stop());
    await waitFor('an MQTT sensor forwarded', () => upstreamOf(h.upstream, 'door').length >= 1);
  },
);

test('a chattering GPIO wire is cut to a burst and a trickle: the rest counted as GPIO_EVENT_FLOOD, audited once, not forwarded', async (t) => {
  const h = await startHarness({
    frames: new InlineRunner(null),
    sensors: [{ id: 'door-loose', kind: 'door', pin: 6 }],
    gpio: { io: 'simulated' },
  });
  t.after(() => h.stop());
  const io = h.gateway.gpio!.io as SimulatedIo;
  await waitFor('online', () => h.gateway.deviceOnline('door-loose'));
  await new Promise((r) => setTimeout(r, 100));
  const decided = () => h.gateway.counters.decisions.forward + h.gateway.counters.decisions.withhold;
  const seen = () => decided() + (h.gateway.counters.refused.GPIO_EVENT_FLOOD ?? 0);
  const started = Date.now();
  for (let i = 0; i < 60; i++) {
    io.set(6, (i % 2) as 0 | 1);
    // each change seen before the next: a fixed pause let a busy machine fold two into johnny-five's 5 ms debounce
    const until = Date.now() + 5_000;
    while (seen() < i + 1) {
      assert.ok(Date.now() < until, `change ${i + 1} never decided nor counted (${seen()} seen)`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const refill = Math.floor(((Date.now() - started) / 1000) * GPIO_EVENTS_PER_SECOND);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(decided() <= GPIO_BURST + refill + 1, `decided ${decided()}, burst ${GPIO_BURST} + refill ${refill}`);
  assert.ok(h.gateway.counters.refused.GPIO_EVENT_FLOOD! >= 60 - GPIO_BURST - refill - 1);
  assert.equal(seen(), 60, 'every change is either decided or counted, and nothing more');
  await h.gateway.recordWindowsNow();
  const audit = await tallyAudit(join(h.gateway.cfg.dataDir, 'audit'));
  assert.equal(sum(audit.refused.filter((r) => r.code === 'GPIO_EVENT_FLOOD')), 1);
});
