import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../devices/index.ts';

export interface DeviceCredentials {
  url: string;
  deviceId: string;
  secret: string;
}

/** Connects as a device the way real ones should: its own identity, and a retained offline will. */
export async function connectDevice(c: DeviceCredentials): Promise<MqttClient> {
  const client = await mqtt.connectAsync(c.url, {
    clientId: c.deviceId,
    username: c.deviceId,
    password: c.secret,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    will: { topic: deviceTopic(c.deviceId, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  await client.publishAsync(deviceTopic(c.deviceId, 'status'), 'online', { qos: 1, retain: true });
  return client;
}

/**
 * Publishes the retained offline status and disconnects cleanly. Bounded: a broker that is gone
 * (or goes while we wait) must not leave the caller waiting for an acknowledgement forever, and a
 * client between reconnect attempts is ended at once (a graceful end could wait for a close that never comes).
 */
export async function disconnectDevice(client: MqttClient, deviceId: string, timeoutMs = 2000): Promise<void> {
  const offline = client.connected
    ? client.publishAsync(deviceTopic(deviceId, 'status'), 'offline', { qos: 1, retain: true }).then(
        () => 'sent' as const,
        () => 'failed' as const,
      )
    : Promise.resolve('not connected' as const);
  const outcome = await within(offline, timeoutMs);
  // a graceful end waits for the broker to close its side; that wait is bounded too
  if ((await within(client.endAsync(outcome !== 'sent'), timeoutMs)) === 'timeout') await client.endAsync(true);
}

/** what `p` settles to, or 'timeout' after `ms` */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  clearTimeout(timer);
  return result;
}
