import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { FLEET_LEVEL } from '../../../devices/index.ts';
import { addFleetMessage, FLEET_FILTERS, type GatewayMessages } from './fleet-messages.ts';

/** Once our own marker is back, what the broker retained has come too: only a short quiet is waited for. */
const AFTER_MARKER_QUIET_MS = 30;

/**
 * Subscribes to every gateway's retained messages and gathers them. A broker sends what it retains
 * when the subscription is made, so a message of our own published after subscribing comes back after
 * them (Mosquitto, aedes); a broker that does not keep that order is waited for until `quietMs` pass
 * without a new message. `maxMs` bounds it all.
 */
export async function collectFleet(
  client: MqttClient,
  prefix: string,
  { quietMs, maxMs }: { quietMs: number; maxMs: number },
): Promise<Map<string, GatewayMessages>> {
  const fleet = new Map<string, GatewayMessages>();
  const marker = `${prefix}/${FLEET_LEVEL}/views/${randomBytes(6).toString('hex')}`;
  const start = Date.now();
  let lastAt = Date.now();
  let markerBack = false;
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic === marker) markerBack = true;
    else if (addFleetMessage(fleet, prefix, topic, payload)) lastAt = Date.now();
  };
  client.on('message', onMessage);
  try {
    // QoS 0: a read of what is retained needs no acknowledgement per message (NATS waits for each one's)
    await client.subscribeAsync([...FLEET_FILTERS.map((f) => `${prefix}/${f}`), marker], { qos: 0 });
    await client.publishAsync(marker, '', { qos: 1 });
    lastAt = Date.now();
    const quiet = () => (markerBack ? Math.min(quietMs, AFTER_MARKER_QUIET_MS) : quietMs);
    while (Date.now() - lastAt < quiet() && Date.now() - start < maxMs) await new Promise((r) => setTimeout(r, 10));
  } finally {
    client.off('message', onMessage);
  }
  return fleet;
}
