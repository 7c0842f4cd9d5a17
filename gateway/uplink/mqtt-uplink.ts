import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { upstreamStatusTopic } from '../../devices/index.ts';
import type { GatewayConfig } from '../config/index.ts';
import type { OutboxStore } from '../outbox/index.ts';
import type { Uplink } from './uplink.ts';
import type { Logger } from '../log.ts';

const IN_FLIGHT = 64;

/**
 * Publishes outbox entries to the agency's broker with QoS 1 and removes each only after its
 * PUBACK. On reconnect everything not acknowledged is sent again (receivers de-duplicate by id).
 */
export class MqttUplink implements Uplink {
  private client: MqttClient | null = null;
  private readonly inFlight = new Set<string>();
  private pumping = false;
  readonly stats = { delivered: 0, reconnects: 0 };

  constructor(
    private readonly cfg: Readonly<GatewayConfig>,
    private readonly outbox: OutboxStore,
    private readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { upstream, gatewayId } = this.cfg;
    const status = upstreamStatusTopic(upstream.topicPrefix, gatewayId);
    const opts: IClientOptions = {
      clientId: `veilgate-${gatewayId}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(upstream.username ? { username: upstream.username } : {}),
      ...(upstream.password ? { password: upstream.password } : {}),
      ...(upstream.caFile ? { ca: readFileSync(upstream.caFile) } : {}),
      ...(upstream.certFile ? { cert: readFileSync(upstream.certFile) } : {}),
      ...(upstream.keyFile ? { key: readFileSync(upstream.keyFile) } : {}),
    };
    const client = mqtt.connect(upstream.url, opts);
    this.client = client;
    client.on('connect', () => {
      this.log.info({ url: redactUrl(upstream.url) }, 'upstream connected');
      client.publish(status, 'online', { qos: 1, retain: true });
      this.inFlight.clear();
      this.pump();
    });
    client.on('reconnect', () => this.stats.reconnects++);
    client.on('close', () => this.inFlight.clear());
    client.on('error', (e) => this.log.warn({ err: e.message }, 'upstream error'));
    this.outbox.on('put', () => this.pump());
  }

  /** Sends pending entries in order, keeping at most IN_FLIGHT unacknowledged. */
  private pump(): void {
    const client = this.client;
    if (this.pumping || !client?.connected) return;
    this.pumping = true;
    try {
      for (const entry of this.outbox.pending()) {
        if (this.inFlight.size >= IN_FLIGHT) break;
        if (this.inFlight.has(entry.id)) continue;
        this.inFlight.add(entry.id);
        client.publish(entry.topic, entry.payload, { qos: 1 }, (err) => {
          if (!this.inFlight.delete(entry.id) || err) return;
          this.stats.delivered++;
          this.outbox.ack(entry.id).then(
            () => this.pump(),
            (e: Error) => this.log.error({ err: e.message }, 'outbox ack failed'),
          );
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    const status = upstreamStatusTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId);
    if (client.connected) {
      await new Promise<void>((r) => client.publish(status, 'offline', { qos: 1, retain: true }, () => r()));
    }
    // a clean DISCONNECT: the broker discards the will, so "offline" is published once
    await client.endAsync(!client.connected);
  }
}

/** Upstream URLs may carry credentials; never log them. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
