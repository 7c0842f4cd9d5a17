import type { OutboxStore } from '../4-records/outbox/index.ts';
import type { GatewayConfig } from '../foundation/config/index.ts';
import type { Close } from '../foundation/lifecycle.ts';
import type { Logger } from '../foundation/log.ts';
import { MqttUplink } from './mqtt-uplink.ts';
import type { Uplink } from './uplink.ts';

export interface UplinkHooks {
  /** the public audit key, published retained on each connect */
  auditKey: string;
  /** each connect and disconnect (for the audit log) */
  onConnectionChange(connected: boolean): void;
  /** signed policies from the agency's broker; the uplink subscribes to them only when set */
  onFleetPolicy?: ((payload: Buffer) => void) | undefined;
}

/**
 * Connects to the agency's broker and sends what the outbox holds. Closing it first stops reporting
 * connection changes (the disconnect of a stop is not an outage), then disconnects; what is in flight
 * stays in the outbox.
 */
export async function startUplink(
  cfg: Readonly<GatewayConfig>,
  outbox: OutboxStore,
  log: Logger,
  hooks: UplinkHooks,
): Promise<{ value: MqttUplink; close: Close }> {
  const uplink = new MqttUplink(cfg, outbox, log);
  uplink.auditKey = hooks.auditKey;
  uplink.onConnectionChange = hooks.onConnectionChange;
  uplink.onFleetPolicy = hooks.onFleetPolicy ?? null;
  await uplink.start();
  return {
    value: uplink,
    close: async () => {
      uplink.onConnectionChange = null;
      await uplink.stop();
    },
  };
}

/** What the status page says of the uplink when something is wrong. */
export function uplinkWarnings(uplink: Uplink, gatewayId: string): string[] {
  return [
    ...(uplink.connected ? [] : ['The agency broker is not reachable: approved records wait in the outbox.']),
    ...(uplink.takenOver
      ? [
          `The agency broker keeps closing this gateway's connection right after accepting it: is another gateway using gatewayId ${gatewayId}?`,
        ]
      : []),
  ];
}
