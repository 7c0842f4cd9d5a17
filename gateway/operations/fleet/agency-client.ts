import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { formatSourceError } from '../../../policies/index.ts';
import { loadAgencyConfig, type AgencyConfig } from '../../foundation/config/index.ts';
import { redactUrl, upstreamAuth, upstreamServers, upstreamUrls } from '../../5-uplink/index.ts';
import { UsageError } from '../cli/exit.ts';

/** The agency's config (its broker, as `{upstream: {...}}`), or a usage error that says what is wrong with it. */
export async function readAgencyConfig(file: string): Promise<Readonly<AgencyConfig>> {
  const r = await loadAgencyConfig(file);
  if (!r.ok) throw new UsageError(r.errors.map(formatSourceError).join('\n'));
  return r.config;
}

/**
 * A client of the agency's broker, under a client id of its own (never a gateway's): by default a
 * short-lived one with a clean session; the archive keeps a session of its own. `onMessage` is
 * attached before the connection is made: a kept session's messages follow the CONNACK at once.
 * It takes one message at a time, and each is acknowledged only once its promise resolves.
 */
export async function connectAgency(
  a: Readonly<AgencyConfig>,
  session: { clientId: string; clean: boolean } = {
    clientId: `veilgate-cli-${randomBytes(4).toString('hex')}`,
    clean: true,
  },
  onMessage?: (topic: string, payload: Buffer) => Promise<void>,
): Promise<MqttClient> {
  const urls = upstreamUrls(a.upstream);
  const client = mqtt.connect(urls[0]!, {
    ...session,
    protocolVersion: 4,
    // the archive rides out a restart of the broker once it runs; a first connection that fails is an error
    reconnectPeriod: session.clean ? 0 : 2000,
    connectTimeout: 10_000,
    // a tool that sends a few packets: not the 65,536 packet-id buffers mqtt-packet makes otherwise
    writeCache: false,
    ...(urls.length > 1 ? { servers: upstreamServers(a.upstream) } : {}),
    ...upstreamAuth(a.upstream),
  });
  // mqtt.js sends the PUBACK when this calls back, and reads the next message after it
  if (onMessage)
    client.handleMessage = (packet, done) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      onMessage(packet.topic, payload).then(
        () => done(),
        (e: Error) => done(e),
      );
    };
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('the connection was closed')));
    });
    return client;
  } catch (e) {
    client.end(true);
    throw new UsageError(
      `cannot connect to the agency's broker ${urls.map(redactUrl).join(', ')}: ${(e as Error).message}`,
    );
  }
}
