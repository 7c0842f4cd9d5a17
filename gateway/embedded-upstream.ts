import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { listenTcp } from './broker/index.ts';

export interface ReceivedRecord {
  topic: string;
  payload: Buffer;
}

/**
 * A plain aedes broker standing in for the agency's, on 127.0.0.1, with a subscriber on `prefix/#`
 * that reports everything arriving. For `veilgate demo` and the end-to-end tests.
 */
export async function startEmbeddedUpstream(prefix: string, onRecord: (r: ReceivedRecord) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  const broker = await Aedes.createBroker({ id: 'embedded-upstream' });
  const { server, address } = await listenTcp(broker, '127.0.0.1', 0);
  const url = `mqtt://127.0.0.1:${address.port}`;
  const sub: MqttClient = await mqtt.connectAsync(url, { clientId: 'agency-subscriber', protocolVersion: 4 });
  sub.on('message', (topic, payload) => onRecord({ topic, payload }));
  await sub.subscribeAsync(`${prefix}/#`, { qos: 1 });
  return {
    url,
    async stop() {
      await sub.endAsync(true);
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
      await closed;
    },
  };
}
