import { Aedes } from 'aedes';
import { listenTcp, openSockets } from '../1-inputs/broker/index.ts';

export interface ReceivedRecord {
  topic: string;
  payload: Buffer;
}

export interface EmbeddedUpstream {
  url: string;
  stop(): Promise<void>;
}

/**
 * A plain aedes broker standing in for the agency's, on 127.0.0.1, reporting every publish under
 * `prefix/` as the broker receives it (no subscriber whose connection could race a reconnecting
 * gateway). `port` 0 picks a free one; a given port lets a scenario take the uplink down and bring
 * it back at the same address. For `veilgate demo`, `veilgate simulate` and the end-to-end tests.
 */
export async function startEmbeddedUpstream(
  prefix: string,
  onRecord: (r: ReceivedRecord) => void,
  port = 0,
): Promise<EmbeddedUpstream> {
  const broker = await Aedes.createBroker({ id: 'embedded-upstream' });
  broker.on('publish', (packet, client) => {
    if (client && packet.topic.startsWith(`${prefix}/`))
      onRecord({ topic: packet.topic, payload: Buffer.from(packet.payload) });
  });
  const { server, address } = await listenTcp(broker, '127.0.0.1', port);
  const sockets = openSockets(server);
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    async stop() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
      // the connections aedes did not close (no CONNECT yet) end as in an outage
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
