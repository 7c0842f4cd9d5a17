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

/** Publishes the retained offline status and disconnects cleanly. */
export async function disconnectDevice(client: MqttClient, deviceId: string): Promise<void> {
  if (client.connected) await client.publishAsync(deviceTopic(deviceId, 'status'), 'offline', { qos: 1, retain: true }).catch(() => {});
  await client.endAsync();
}
