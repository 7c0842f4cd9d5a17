import type { MqttClient } from 'mqtt';
import { addFleetMessage, FLEET_FILTERS, type GatewayMessages } from './fleet-messages.ts';

/**
 * Subscribes to every gateway's retained messages and gathers them until `quietMs` pass without a
 * new one (or `maxMs`): a broker sends what it retains right after the subscription.
 */
export async function collectFleet(
  client: MqttClient,
  prefix: string,
  { quietMs, maxMs }: { quietMs: number; maxMs: number },
): Promise<Map<string, GatewayMessages>> {
  const fleet = new Map<string, GatewayMessages>();
  const start = Date.now();
  let lastAt = Date.now();
  const onMessage = (topic: string, payload: Buffer) => {
    if (addFleetMessage(fleet, prefix, topic, payload)) lastAt = Date.now();
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(
      FLEET_FILTERS.map((f) => `${prefix}/${f}`),
      { qos: 1 },
    );
    lastAt = Date.now();
    while (Date.now() - lastAt < quietMs && Date.now() - start < maxMs) await new Promise((r) => setTimeout(r, 20));
  } finally {
    client.off('message', onMessage);
  }
  return fleet;
}
