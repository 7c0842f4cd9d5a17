import { EventEmitter } from 'node:events';
import { IntervalTracker } from './interval-tracker.ts';

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;

interface PinState {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

/**
 * The Firmata-shaped surface johnny-five drives (its "IO plugin" contract), for digital inputs only:
 * the gateway reads sensors and never drives a pin. Subclasses report levels with `level()`;
 * `digitalWrite` on an input selects the pull-up (HIGH) or pull-down (LOW) bias, as on Firmata.
 * Emits 'connect' and 'ready' once the pins can be read, 'error' when none can, and per pin
 * 'pin-error' (pin, message) when one cannot be read and 'pin-ok' (pin) when it can (again).
 */
export abstract class DigitalInputIo extends EventEmitter {
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 };
  readonly analogPins: number[] = [];
  readonly pins: PinState[];
  isReady = false;
  /** the timers johnny-five starts while it handles this plugin's pins (see IntervalTracker) */
  readonly intervals = new IntervalTracker();
  private readonly readers = new Map<number, Array<(value: number) => void>>();
  /** pin -> 'up' | 'down' as johnny-five asked, applied when the pin is opened */
  protected readonly bias = new Map<number, 'up' | 'down'>();

  constructor(
    readonly name: string,
    pinCount: number,
  ) {
    super();
    this.pins = Array.from({ length: pinCount }, () => ({
      supportedModes: [MODES.INPUT],
      mode: MODES.INPUT,
      value: 0,
      report: 1,
      analogChannel: 127,
    }));
  }

  protected markReady(): void {
    this.isReady = true;
    this.emit('connect');
    this.emit('ready');
  }

  pinMode(pin: number, mode: number): this {
    if (mode !== MODES.INPUT)
      throw new Error(`${this.name}: pin ${pin} can only be a digital input (mode ${mode} asked)`);
    this.pins[pin]!.mode = mode;
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    this.bias.set(pin, value ? 'up' : 'down');
    this.biasChanged(pin);
    return this;
  }

  digitalRead(pin: number, handler: (value: number) => void): this {
    this.readers.set(pin, [...(this.readers.get(pin) ?? []), handler]);
    this.watch(pin);
    return this;
  }

  analogRead(pin: number): never {
    throw new Error(`${this.name}: no analog input (pin ${pin}); use a sensor with a digital output`);
  }

  /** johnny-five calls this on some boards; sampling is event-driven here. */
  setSamplingInterval(): this {
    return this;
  }

  /** A pin's level as read from the hardware (or the simulation). */
  protected level(pin: number, value: 0 | 1): void {
    this.pins[pin]!.value = value;
    this.intervals.run(() => {
      for (const h of this.readers.get(pin) ?? []) h(value);
    });
  }

  protected pinFailed(pin: number, message: string): void {
    this.emit('pin-error', pin, message);
  }

  protected pinOpened(pin: number): void {
    this.emit('pin-ok', pin);
  }

  /** Start reporting this pin's level (once per pin). */
  protected abstract watch(pin: number): void;
  protected biasChanged(_pin: number): void {}
  abstract close(): Promise<void>;
}
