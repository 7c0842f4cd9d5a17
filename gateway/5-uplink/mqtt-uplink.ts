import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  fleetPolicyFilter,
  upstreamAuditHeadTopic,
  upstreamAuditKeyTopic,
  upstreamPolicyStatusTopic,
  upstreamHealthTopic,
  upstreamStatusTopic,
} from '../../devices/index.ts';
import type { GatewayConfig } from '../foundation/config/index.ts';
import type { OutboxStore, PendingEntry } from '../4-records/outbox/index.ts';
import type { Uplink } from './uplink.ts';
import type { Logger } from '../foundation/log.ts';
import { Backoff } from '../foundation/backoff.ts';
import { TakeoverWatch } from './takeover.ts';
import { upstreamAuth, upstreamServers, upstreamUrls } from './upstream-auth.ts';

/** how often a suspected session takeover is logged again while it goes on */
const TAKEOVER_LOG_EVERY_MS = 10 * 60_000;

/**
 * Publishes outbox entries to the agency's broker with QoS 1 and removes each only after its
 * PUBACK. On reconnect everything not acknowledged is sent again (receivers de-duplicate by id),
 * each device's records in the order they were put. Reconnects back off exponentially with jitter,
 * each to the next node of `upstream.urls`. A PUBACK that does not come within `ackTimeoutMs`
 * closes the connection, so what the broker lost is sent again on the next one.
 */
export class MqttUplink implements Uplink {
  private client: MqttClient | null = null;
  /** seq of each record published on this connection and not yet acknowledged, with when it was sent */
  private readonly inFlight = new Map<number, number>();
  private ackWatch: NodeJS.Timeout | null = null;
  /** seqs published at least once and not yet acknowledged: a second publish is a retry */
  private readonly sent = new Set<number>();
  private pumping = false;
  private pumpAgain = false;
  /** counts connections: a batch read from the outbox before a reconnect is not sent after it */
  private generation = 0;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  /** connections cut right after they were accepted: another client with our client id */
  readonly takeover = new TakeoverWatch();
  private takeoverLoggedAt = Number.NEGATIVE_INFINITY;
  readonly stats = { delivered: 0, reconnects: 0, retried: 0, ackTimeouts: 0, lastDeliveredAt: null as number | null };
  onConnectionChange: ((connected: boolean) => void) | null = null;
  private auditHead: string | null = null;
  private policyStatus: string | null = null;
  healthReport: (() => string) | null = null;
  onFleetPolicy: ((payload: Buffer) => void) | null = null;
  /** the public audit key (PEM), published retained on each connect so the agency can check the heads */
  auditKey: string | null = null;
  private wasConnected = false;

  constructor(
    private readonly cfg: Readonly<GatewayConfig>,
    private readonly outbox: OutboxStore,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(cfg.upstream.reconnectMinMs, cfg.upstream.reconnectMaxMs);
    outbox.on('put', () => this.pump());
    outbox.on('dropped', (e) => this.sent.delete(e.seq));
  }

  get takenOver(): boolean {
    return this.takeover.suspected;
  }

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
      reconnectPeriod: 0, // reconnects are ours: exponential back-off with jitter
      connectTimeout: 10_000,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      // otherwise mqtt.js re-arms its keep-alive timer on every packet, thousands a second in a drain
      reschedulePings: false,
      // mqtt-packet's cache of a Buffer for each of the 65,536 packet ids: live heap for the whole
      // process (the broker shares the module), which V8 then grows the heap in proportion to
      writeCache: false,
      ...upstreamAuth(upstream),
    };
    this.stopping = false;
    const urls = upstreamUrls(upstream);
    // mqtt.js takes the next of `servers` on every connection attempt: a lost node is not retried first
    const client = mqtt.connect(urls[0]!, urls.length > 1 ? { ...opts, servers: upstreamServers(upstream) } : opts);
    this.client = client;
    this.ackWatch ??= setInterval(() => this.checkAcks(), Math.min(1000, upstream.ackTimeoutMs / 4)).unref();
    client.on('connect', () => {
      this.log.info({ url: redactUrl(this.connectedUrl(client)) }, 'upstream connected');
      client.publish(status, 'online', { qos: 1, retain: true });
      if (this.auditHead) this.publishAuditHead(this.auditHead);
      if (this.policyStatus) this.publishPolicyStatus(this.policyStatus);
      // fresh, not the last one made: a gateway back from an outage shows its backlog as it is
      this.publishHealth();
      // a clean session: subscribed again on every connect, and the broker sends what is retained
      if (this.onFleetPolicy)
        client.subscribe(fleetPolicyFilter(upstream.topicPrefix), { qos: 1 }, (err) => {
          if (err) this.log.warn({ err: err.message }, 'cannot subscribe to the fleet policies on the upstream broker');
        });
      if (this.auditKey)
        client.publish(upstreamAuditKeyTopic(upstream.topicPrefix, gatewayId), this.auditKey, { qos: 1, retain: true });
      this.setConnected(true);
      this.takeover.connected();
      // everything not acknowledged goes again, each device's records in order
      this.inFlight.clear();
      this.generation++;
      this.outbox.rewind();
      this.pump();
    });
    client.on('close', () => {
      const lasted = this.takeover.closed();
      // a connection cut right after it was accepted does not reset the back-off: two gateways
      // taking one session from each other would otherwise fight at the shortest delay
      if (lasted !== null && !TakeoverWatch.isShort(lasted)) this.backoff.reset();
      if (this.takeover.suspected && Date.now() - this.takeoverLoggedAt > TAKEOVER_LOG_EVERY_MS) {
        this.takeoverLoggedAt = Date.now();
        this.log.error(
          { clientId: opts.clientId, url: redactUrl(this.connectedUrl(client)) },
          "the agency's broker keeps closing this gateway's connection right after accepting it: another client is " +
            'connecting with the same client id, most likely a second gateway with the same gatewayId',
        );
      }
      this.setConnected(false);
      this.inFlight.clear();
      this.generation++;
      this.scheduleReconnect(client);
    });
    client.on('message', (topic, payload) => {
      if (topic.startsWith(fleetPolicyFilter(upstream.topicPrefix).slice(0, -1))) this.onFleetPolicy?.(payload);
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'upstream error'));
  }

  private connectedUrl(client: MqttClient): string {
    const o = client.options;
    return `${o.protocol ?? 'mqtt'}://${o.hostname ?? o.host}:${o.port}`;
  }

  /** A record unacknowledged for ackTimeoutMs: the broker lost it, or the connection is stuck. */
  private checkAcks(): void {
    const client = this.client;
    if (!client?.connected || this.inFlight.size === 0) return;
    // set once per record per connection, in the order sent: the first is the oldest
    const oldest = this.inFlight.values().next().value!;
    if (Date.now() - oldest < this.cfg.upstream.ackTimeoutMs) return;
    this.stats.ackTimeouts++;
    this.log.warn(
      { url: redactUrl(this.connectedUrl(client)), waitingMs: Date.now() - oldest, unacknowledged: this.inFlight.size },
      'the upstream broker has not acknowledged a record in time: reconnecting to send it again',
    );
    client.stream.destroy(); // 'close' follows: reconnect with back-off, rewind, send again
  }

  private setConnected(connected: boolean): void {
    if (connected === this.wasConnected) return;
    this.wasConnected = connected;
    this.onConnectionChange?.(connected);
  }

  publishAuditHead(payload: string): void {
    this.auditHead = payload;
    this.publishRetained(upstreamAuditHeadTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId), payload);
  }

  publishPolicyStatus(payload: string): void {
    this.policyStatus = payload;
    this.publishRetained(upstreamPolicyStatusTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId), payload);
  }

  publishHealth(): void {
    if (this.healthReport && this.client?.connected)
      this.publishRetained(upstreamHealthTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId), this.healthReport());
  }

  /** Now if connected; the caller keeps the payload and it goes again on the next connect. */
  private publishRetained(topic: string, payload: string): void {
    if (this.client?.connected) this.client.publish(topic, payload, { qos: 1, retain: true });
  }

  private scheduleReconnect(client: MqttClient): void {
    if (this.stopping || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.log.debug({ delayMs: delay }, 'upstream reconnect scheduled');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopping) return;
      this.stats.reconnects++;
      client.reconnect();
    }, delay);
  }

  /**
   * Sends pending entries (devices in turn, each in order), keeping at most `inFlight`
   * unacknowledged. Entries are read from disk a batch at a time; a call while one runs makes it go round again.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pumpLoop()
      .catch((e: Error) => {
        this.log.error({ err: e.message }, 'reading the outbox failed; trying again in a second');
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, 1000);
      })
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) this.pump();
      });
  }

  private async pumpLoop(): Promise<void> {
    for (;;) {
      this.pumpAgain = false;
      const client = this.client;
      const room = this.cfg.upstream.inFlight - this.inFlight.size;
      if (!client?.connected || room <= 0) return;
      const generation = this.generation;
      const batch = await this.outbox.take(room);
      // a reconnect meanwhile handed everything out again: this batch is stale
      if (generation !== this.generation) continue;
      if (batch.length === 0 && !this.pumpAgain) return;
      for (const entry of batch) this.publish(client, entry);
    }
  }

  private publish(client: MqttClient, entry: PendingEntry): void {
    this.inFlight.set(entry.seq, Date.now());
    if (this.sent.has(entry.seq)) this.stats.retried++;
    else this.sent.add(entry.seq);
    client.publish(entry.topic, entry.payload, { qos: 1 }, (err) => {
      if (!this.inFlight.delete(entry.seq) || err) return;
      this.sent.delete(entry.seq);
      this.stats.delivered++;
      this.stats.lastDeliveredAt = Date.now();
      this.outbox.ack(entry.seq);
      this.pump();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ackWatch) clearInterval(this.ackWatch);
    this.reconnectTimer = this.retryTimer = this.ackWatch = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    const status = upstreamStatusTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId);
    if (client.connected) {
      // bounded: if the connection drops meanwhile nothing reconnects (we are stopping), so no ack would come
      await new Promise<void>((r) => {
        const done = () => {
          clearTimeout(timer);
          r();
        };
        const timer = setTimeout(done, 3000);
        client.once('close', done);
        client.publish(status, 'offline', { qos: 1, retain: true }, done);
      });
    }
    // a clean DISCONNECT: the broker discards the will, so "offline" is published once
    await client.endAsync(!client.connected);
  }
}

/** Upstream URLs may carry credentials; never log them. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
