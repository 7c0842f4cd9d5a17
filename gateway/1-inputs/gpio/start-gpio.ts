import type { SensorEvent } from '../../../devices/index.ts';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import type { DeviceRegistry } from '../../foundation/registry/index.ts';
import { GpioSensors } from './sensors.ts';

export interface GpioInputs {
  /** a sensor's event, to take the same parse, time check, policy, audit and outbox as an MQTT sensor's */
  event(sensorId: string, event: SensorEvent): void;
  refused(deviceId: string, channel: string, code: string, detail: string): void;
  countRefusal(code: string): void;
}

/** The sensors on the gateway's own pins, and whether each can be read. */
export class GpioPart {
  private readonly online = new Map<string, boolean>();
  /** sensor id (or '' for all of them) -> why its pin cannot be read */
  private readonly problems = new Map<string, string>();
  /** null when no sensor is configured */
  sensors: GpioSensors | null = null;

  private constructor(private readonly cfg: Readonly<GatewayConfig>) {}

  static async start(
    cfg: Readonly<GatewayConfig>,
    registry: DeviceRegistry,
    inputs: GpioInputs,
    log: Logger,
  ): Promise<{ value: GpioPart; close: Close }> {
    const part = new GpioPart(cfg);
    if (cfg.sensors.length) {
      for (const s of cfg.sensors) {
        if (registry.get(s.id))
          log.error(
            { sensor: s.id },
            'a GPIO sensor has the id of a registered MQTT device: their events cannot be told apart; rename one',
          );
      }
      part.sensors = await GpioSensors.start(cfg.gpio, cfg.sensors, {
        event: (id, e) => inputs.event(id, e),
        // a pin (or all) that cannot be read: its sensor is shown offline until it can; MQTT devices carry on
        problem: (id, code, detail) => {
          part.problems.set(id ?? '', detail);
          for (const s of cfg.sensors) if (id === null || s.id === id) part.online.set(s.id, false);
          inputs.refused(id ?? 'gpio', 'gpio', code, detail);
        },
        online: (id) => {
          part.online.set(id, true);
          part.problems.delete(id);
        },
        // each dropped event counted; the flood logged and audited once, not once per event
        flooded: (id, first) => {
          if (!first) return inputs.countRefusal('GPIO_EVENT_FLOOD');
          const detail = 'more events than the sensor may send; the rest are dropped until it calms down';
          inputs.refused(id, 'gpio', 'GPIO_EVENT_FLOOD', detail);
        },
      });
    }
    return { value: part, close: () => part.sensors?.close() };
  }

  /** Each sensor, online while its line reads. */
  devices(): Array<{ id: string; kind: string; online: boolean }> {
    return this.cfg.sensors.map((s) => ({
      id: s.id,
      kind: `${s.kind} (gpio ${s.pin})`,
      online: this.online.get(s.id) ?? false,
    }));
  }

  warnings(): string[] {
    return [...this.problems].map(
      ([id, detail]) => `${id ? `The GPIO sensor ${id}` : 'The GPIO sensors'} cannot be read: ${detail}`,
    );
  }
}
