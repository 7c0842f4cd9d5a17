import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SensorEvent } from '../../../devices/index.ts';
import { configFromObject } from '../../foundation/config/index.ts';
import { GpioSensors } from './sensors.ts';
import { SimulatedIo } from './simulated-io.ts';

const cfg = configFromObject(
  {
    gpio: { io: 'simulated' },
    sensors: [
      { id: 'pir-1', kind: 'pir', pin: 17, options: { calibrationMs: 0 } },
      { id: 'door-1', kind: 'door', pin: 27 },
      { id: 'panic-1', kind: 'panic', pin: 22, options: { holdMs: 300 } },
      { id: 'sound-1', kind: 'sound', pin: 5, options: { dbA: 85 } },
    ],
  },
  '/tmp',
);

async function started(): Promise<{
  io: SimulatedIo;
  events: Array<[string, SensorEvent]>;
  sensors: GpioSensors;
  until: (n: number) => Promise<void>;
}> {
  const events: Array<[string, SensorEvent]> = [];
  const io = new SimulatedIo();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const sensors = await GpioSensors.start(
    cfg.gpio,
    cfg.sensors,
    {
      event: (id, e) => events.push([id, e]),
      problem: (id, c, d) => assert.fail(`${id} ${c}: ${d}`),
      online: (id) => id === 'sound-1' && ready(),
      flooded: () => assert.fail('flooded'),
    },
    io,
  );
  await isReady;
  await new Promise((r) => setTimeout(r, 100)); // the idle levels settle (pull-ups high)
  const until = async (n: number) => {
    for (let i = 0; i < 100 && events.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };
  return { io, events, sensors, until };
}

const kinds = (events: Array<[string, SensorEvent]>) =>
  events.map(([id, e]) => `${id} ${JSON.stringify({ ...e, at: undefined })}`);

test('a PIR output going high and low is motion active, then inactive', async () => {
  const { io, events, sensors, until } = await started();
  io.set(17, 1);
  await until(1);
  io.set(17, 0);
  await until(2);
  await sensors.close();
  assert.deepEqual(kinds(events), ['pir-1 {"type":"motion","active":true}', 'pir-1 {"type":"motion","active":false}']);
  assert.ok(Math.abs(Date.parse(events[0]![1].at) - Date.now()) < 5000);
});

test('a door contact (normally open, to ground, pulled up) is reported when the door shuts and opens, not for its level at start', async () => {
  const { io, events, sensors, until } = await started();
  assert.equal(io.read(27), 1, 'johnny-five asked for the pull-up');
  io.set(27, 0); // door shut: the reed switch closes the pin to ground
  await until(1);
  io.set(27, undefined); // door opens: the pull-up takes the pin high
  await until(2);
  await sensors.close();
  assert.deepEqual(kinds(events), ['door-1 {"type":"door","open":false}', 'door-1 {"type":"door","open":true}']);
});

test('a panic button held past holdMs is press, hold, release; a short press has no hold', async () => {
  const { io, events, sensors, until } = await started();
  io.set(22, 0);
  await new Promise((r) => setTimeout(r, 600));
  io.set(22, undefined);
  await until(3);
  assert.deepEqual(
    kinds(events),
    [
      'panic-1 {"type":"panic","action":"press"}',
      'panic-1 {"type":"panic","action":"hold"}',
      'panic-1 {"type":"panic","action":"release"}',
    ],
    'one hold, though held for two holdMs',
  );
  events.length = 0;
  io.set(22, 0);
  await until(1);
  io.set(22, undefined);
  await until(2);
  await sensors.close();
  assert.deepEqual(kinds(events), [
    'panic-1 {"type":"panic","action":"press"}',
    'panic-1 {"type":"panic","action":"release"}',
  ]);
});

test('a sound module tripping its comparator is a sound_level event at the configured dBA; going quiet is not an event', async () => {
  const { io, events, sensors, until } = await started();
  io.set(5, 1);
  await until(1);
  io.set(5, 0);
  await new Promise((r) => setTimeout(r, 200));
  await sensors.close();
  assert.deepEqual(kinds(events), ['sound-1 {"type":"sound_level","dbA":85}']);
});

test("stopping the sensors while the panic button is held stops johnny-five's hold timer too", async () => {
  const { io, events, sensors, until } = await started();
  const idle = io.intervals.size; // Motion and Sensor polls
  io.set(22, 0);
  await until(1);
  assert.equal(io.intervals.size, idle + 1, 'the hold timer is tracked');
  io.set(22, undefined);
  await until(2);
  assert.equal(io.intervals.size, idle, 'and forgotten when johnny-five clears it');
  io.set(22, 0);
  await until(3);
  await sensors.close();
  assert.equal(io.intervals.size, 0);
  assert.equal(events.length, 3);
});
