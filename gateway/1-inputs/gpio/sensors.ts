import type { EventEmitter } from 'node:events';
import type { SensorEvent } from '../../../devices/index.ts';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import type { DigitalInputIo } from './io-plugin.ts';
import { SimulatedIo } from './simulated-io.ts';

type GpioSensorConfig = GatewayConfig['sensors'][number];

export interface GpioHandlers {
  /** a sensor's event, to take the same policy and audit path as an MQTT sensor's */
  event(sensorId: string, event: SensorEvent): void;
  /** a sensor's pin (or, with null, every pin) cannot be read: GPIO_UNAVAILABLE, with the plugin's own message */
  problem(sensorId: string | null, code: 'GPIO_UNAVAILABLE', detail: string): void;
  /** a sensor can be read (at start, and again after a problem) */
  online(sensorId: string): void;
  /** an event dropped because its sensor sends too many (a loose wire, a shorted pin); `first` of a flood */
  flooded(sensorId: string, first: boolean): void;
}

/** Events a sensor may send in a burst, and per second after it: a panic press, hold and release fit. */
export const GPIO_BURST = 10;
export const GPIO_EVENTS_PER_SECOND = 2;

/**
 * The sensors wired to the gateway's own pins, read with johnny-five's sensor classes (debounce,
 * PIR calibration, button hold) over one of our IO plugins. johnny-five and the plugin are loaded
 * only when sensors are configured, so a box without GPIO never touches them.
 */
export class GpioSensors {
  private constructor(readonly io: DigitalInputIo) {}

  static async start(
    gpio: GatewayConfig['gpio'],
    sensors: readonly GpioSensorConfig[],
    h: GpioHandlers,
    io?: DigitalInputIo,
  ): Promise<GpioSensors> {
    io ??= gpio.io === 'simulated' ? new SimulatedIo() : new (await import('./gpiod-io.ts')).GpiodIo(gpio.chip);
    const self = new GpioSensors(io);
    // before anything can fail: an 'error' with no listener would throw into the event loop
    io.on('error', (e: Error) => h.problem(null, 'GPIO_UNAVAILABLE', e.message));
    const byPin = new Map(sensors.map((s) => [s.pin, s.id]));
    io.on('pin-error', (pin: number, message: string) =>
      h.problem(byPin.get(pin) ?? null, 'GPIO_UNAVAILABLE', message),
    );
    io.on('pin-ok', (pin: number) => byPin.has(pin) && h.online(byPin.get(pin)!));
    const five = (await import('johnny-five')).default;
    const board = new five.Board({ io, repl: false, debug: false, sigint: false });
    board.on('error', () => {}); // the plugin's errors, already reported above
    board.once('ready', () => {
      for (const s of sensors) self.attach(five, board, s, h);
      // simulated pins are there at once; the gpiod plugin says so per pin once its monitor runs
      if (io instanceof SimulatedIo) sensors.forEach((s) => h.online(s.id));
    });
    return self;
  }

  private attach(
    five: typeof import('johnny-five').default,
    board: InstanceType<typeof five.Board>,
    s: GpioSensorConfig,
    h: GpioHandlers,
  ): void {
    const at = () => new Date().toISOString();
    // a wire that chatters must not fill the audit log and the outbox: a token bucket per sensor
    let tokens = GPIO_BURST;
    let last = Date.now();
    let flooding = false;
    const emit = (e: SensorEvent) => {
      const now = Date.now();
      tokens = Math.min(GPIO_BURST, tokens + ((now - last) / 1000) * GPIO_EVENTS_PER_SECOND);
      last = now;
      if (tokens < 1) {
        h.flooded(s.id, !flooding);
        flooding = true;
        return;
      }
      // the flood is over once the bucket has refilled, not at the first event the trickle lets through
      if (tokens >= GPIO_BURST) flooding = false;
      tokens -= 1;
      h.event(s.id, e);
    };
    switch (s.kind) {
      case 'pir': {
        const m = this.capture(
          () => new five.Motion({ board, pin: s.pin, controller: 'PIR', calibrationDelay: s.options.calibrationMs }),
        );
        m.on('motionstart', () => emit({ type: 'motion', at: at(), active: true }));
        m.on('motionend', () => emit({ type: 'motion', at: at(), active: false }));
        return;
      }
      case 'door': {
        const sw = this.capture(() => new five.Switch({ board, pin: s.pin, type: s.options.contact }));
        // the level read at start is the baseline, not an event: a door is reported when it moves
        let open: boolean | null = null;
        const moved = (now: boolean) => {
          if (open !== null && now !== open) emit({ type: 'door', at: at(), open: now });
          open = now;
        };
        sw.on('open', () => moved(true));
        sw.on('close', () => moved(false));
        return;
      }
      case 'panic': {
        const b = this.capture(
          () => new five.Button({ board, pin: s.pin, holdtime: s.options.holdMs, isPullup: s.options.pullUp }),
        );
        // johnny-five repeats 'hold' every holdtime while pressed: one hold per press is the event
        let held = false;
        b.on('press', () => {
          held = false;
          emit({ type: 'panic', at: at(), action: 'press' });
        });
        b.on('hold', () => {
          if (!held) emit({ type: 'panic', at: at(), action: 'hold' });
          held = true;
        });
        b.on('release', () => emit({ type: 'panic', at: at(), action: 'release' }));
        return;
      }
      case 'sound': {
        const loud = s.options.activeLow ? 0 : 1;
        const snd = this.capture(() => new five.Sensor({ board, pin: s.pin, type: 'digital', freq: 25 }));
        let seen = false; // as for the door: the first level is the baseline
        snd.on('change', () => {
          if (seen && snd.value === loud) emit({ type: 'sound_level', at: at(), dbA: s.options.dbA });
          seen = true;
        });
        return;
      }
    }
  }

  /** johnny-five's constructors start timers they never stop: see IntervalTracker. */
  private capture<T extends EventEmitter>(make: () => T): T {
    return this.io.intervals.run(make);
  }

  async close(): Promise<void> {
    this.io.intervals.clearAll();
    await this.io.close();
  }
}
