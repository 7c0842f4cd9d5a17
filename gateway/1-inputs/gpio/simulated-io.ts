import { DigitalInputIo } from './io-plugin.ts';

/**
 * GPIO pins without hardware, for tests, scenarios and the demo: `set(pin, level)` is what a wire
 * would do. An input with a pull-up idles high, as on a real board, so a contact or button wired to
 * ground behaves the same here as on a Pi.
 */
export class SimulatedIo extends DigitalInputIo {
  private readonly driven = new Map<number, 0 | 1>();

  constructor(pinCount = 64) {
    super('veilgate-simulated-gpio', pinCount);
    queueMicrotask(() => this.markReady());
  }

  /** Drives a pin as the sensor's output or a contact would; undefined lets it float to its bias. */
  set(pin: number, level: 0 | 1 | undefined): void {
    if (!this.pins[pin]) throw new RangeError(`no pin ${pin}`);
    if (level === undefined) this.driven.delete(pin);
    else this.driven.set(pin, level);
    this.report(pin);
  }

  read(pin: number): 0 | 1 {
    return this.driven.get(pin) ?? (this.bias.get(pin) === 'up' ? 1 : 0);
  }

  protected watch(pin: number): void {
    this.report(pin);
  }

  protected override biasChanged(pin: number): void {
    this.report(pin);
  }

  private report(pin: number): void {
    // the next tick, as a real pin change arrives: johnny-five sets its handlers up synchronously
    setImmediate(() => this.level(pin, this.read(pin)));
  }

  async close(): Promise<void> {}
}
