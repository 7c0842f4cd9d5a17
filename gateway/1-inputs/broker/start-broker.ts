import type { AddressInfo, Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Aedes, type AedesOptions } from 'aedes';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import { CLOSE_STEP_MS, within, type Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import { certificateCredential, type DeviceRegistry } from '../../foundation/registry/index.ts';
import type { BrokerHandlers } from './handlers.ts';
import { brokerHooks, forgetSubscriptions } from './hooks.ts';
import { identityOf } from './identity.ts';
import { connectionInfo, type GuardedConnection } from './limits/guarded-connection.ts';
import { listenTcp, listenTls, listenWebSocket, openSockets, type ListenOptions } from './listen.ts';
import { connectedClients } from './patches/aedes-internals.ts';
import { createMessageEmitter } from './patches/message-emitter.ts';
import { neverWaitForDrain } from './patches/slow-subscribers.ts';
import { PendingConnections } from './pending-connections.ts';
import { openBrokerPersistence } from './persistence.ts';
import { storedWillProblem } from './wills.ts';

/** deliveries aedes runs at once (its default); the rest wait in the message emitter's queue */
const BROKER_CONCURRENCY = 100;

export interface Listener {
  kind: 'mqtt' | 'mqtts' | 'ws';
  server: Server;
  address: AddressInfo;
  close?: () => void;
}

export interface BrokerEvents {
  /** a connection cut by a hard limit; the device, when the connection had logged in as one */
  limitBroken(code: string, detail: string, remoteAddress: string | undefined, deviceId: string | null): void;
  /** the broker's store under dataDir was damaged and set aside */
  storeDamaged(detail: string): Promise<void>;
}

/**
 * The MQTT broker the devices talk to: aedes with its store under dataDir, the identity, ACL and
 * size hooks, and its listeners (TCP, and TLS and WebSocket when configured). Once a minute, and on
 * each registry change, a session whose credential no longer counts is closed.
 */
export class BrokerPart {
  private constructor(
    readonly broker: Aedes,
    /** the plain TCP listener's address */
    readonly address: AddressInfo,
    /** the mqtts and WebSocket listeners, when configured */
    readonly extraListeners: Listener[],
    private readonly registry: DeviceRegistry,
    private readonly allowAnonymous: boolean,
    private readonly log: Logger,
  ) {}

  static async start(
    cfg: Readonly<GatewayConfig>,
    registry: DeviceRegistry,
    handlers: BrokerHandlers,
    events: BrokerEvents,
    log: Logger,
  ): Promise<{ value: BrokerPart; close: Close }> {
    const limits = cfg.broker.limits;
    const store = await openBrokerPersistence(join(cfg.dataDir, 'broker'));
    const listeners: Listener[] = [];
    const sockets: Array<ReadonlySet<Duplex>> = [];
    let broker: Aedes | null = null;
    const close = () => closeBroker(broker, listeners, sockets, store, log);
    try {
      if (store.damaged) {
        log.error({ detail: store.damaged }, 'the broker store under dataDir was damaged and set aside');
        await events.storeDamaged(store.damaged);
      }
      const b = await Aedes.createBroker({
        id: `veilgate-${cfg.gatewayId}`,
        mq: createMessageEmitter(BROKER_CONCURRENCY),
        concurrency: BROKER_CONCURRENCY,
        persistence: store.persistence as unknown as AedesOptions['persistence'],
        connectTimeout: limits.connectTimeoutMs,
        maxInflightInbound: limits.maxInflightInbound,
        maxTopicLevels: limits.maxTopicLevels,
        ...brokerHooks(
          handlers,
          { ...cfg.broker, clientCertAuth: cfg.broker.tls.enabled && cfg.broker.tls.clientCertAuth },
          log,
        ),
      });
      broker = b;
      const cut = (code: string, detail: string, remoteAddress: string | undefined, conn: GuardedConnection | null) => {
        const client = conn ? connectedClients(b).find((c) => connectionInfo(c.conn) === conn) : undefined;
        const who = identityOf(client);
        events.limitBroken(code, detail, remoteAddress, who?.role === 'device' ? who.deviceId : null);
      };
      b.on('unsubscribe', (topics, client) => forgetSubscriptions(client, topics));
      const pending = new PendingConnections(limits.maxPendingPerAddress);
      b.on('client', (client) => {
        // logged in: it no longer counts against its address's connections waiting for CONNECT
        pending.release(client.conn);
        // a subscriber that stops reading is cut off, never waited for (patches/slow-subscribers.ts)
        const bounds = { maxBytes: limits.subscriberBacklogBytes, maxSeconds: limits.subscriberBacklogSeconds };
        neverWaitForDrain(client, bounds, (reason) =>
          cut('SUBSCRIBER_TOO_SLOW', reason, connectionInfo(client.conn)?.remoteAddress, null),
        );
      });
      // aedes reports here what fails outside any client (a stored will it may not publish): logged, never a crash
      (b as unknown as NodeJS.EventEmitter).on('error', (e: Error) => log.warn({ err: e.message }, 'broker error'));
      store.persistence.willCheck = (will) =>
        storedWillProblem(will, (id) => registry.get(id)?.kind ?? null, cfg.broker.allowAnonymous);
      store.persistence.onWillRefused = (will, problem) =>
        log.warn(
          { clientId: will.clientId?.slice(0, 64), topic: will.topic.slice(0, 128), problem },
          'stored will deleted: not allowed',
        );
      const o: ListenOptions = {
        guard: {
          publishBytes: Math.max(cfg.broker.maxFrameBytes + 1024, limits.sensorPacketBytes, limits.controlPacketBytes),
          controlBytes: limits.controlPacketBytes,
          maxTopicBytes: limits.maxTopicBytes,
          maxTopicLevels: limits.maxTopicLevels,
        },
        maxConnections: limits.maxConnections,
        noDelay: cfg.broker.tcpNoDelay,
        onViolation: (v, remoteAddress, conn) => cut(v.code, v.detail, remoteAddress, conn),
        onConnectionRefused: (remoteAddress) =>
          cut('TOO_MANY_CONNECTIONS', `more than ${limits.maxConnections}`, remoteAddress, null),
        pending,
        onTooManyPending: (remoteAddress) =>
          cut(
            'TOO_MANY_PENDING',
            `more than ${limits.maxPendingPerAddress} connections from this address not logged in`,
            remoteAddress,
            null,
          ),
        handshakeTimeoutMs: limits.connectTimeoutMs,
      };
      const add = (l: Listener) => {
        listeners.push(l);
        sockets.push(openSockets(l.server));
      };
      add({ kind: 'mqtt', ...(await listenTcp(b, cfg.broker.host, cfg.broker.port, o)) });
      const t = cfg.broker.tls;
      if (t.enabled) {
        const tls = {
          host: t.host,
          port: t.port,
          cert: await readFile(t.certFile!),
          key: await readFile(t.keyFile!),
          ca: t.caFile ? await readFile(t.caFile) : undefined,
          requestCert: t.clientCertAuth,
        };
        add({ kind: 'mqtts', ...(await listenTls(b, tls, o)) });
      }
      if (cfg.broker.websocket.enabled) add({ kind: 'ws', ...(await listenWebSocket(b, cfg.broker.websocket, o)) });
      for (const l of listeners.slice(1))
        log.info({ listener: l.kind, address: `${l.address.address}:${l.address.port}` }, 'broker listening');
      if (cfg.broker.allowAnonymous)
        log.warn('broker.allowAnonymous is on: clients without credentials may connect (they never see device data)');
      const part = new BrokerPart(
        b,
        listeners[0]!.address,
        listeners.slice(1),
        registry,
        cfg.broker.allowAnonymous,
        log,
      );
      // a certificate that ends while its session is open: the session ends with it, within a minute
      const timer = setInterval(() => part.disconnectStaleCredentials(Date.now()), 60_000);
      return {
        value: part,
        close: async () => {
          clearInterval(timer);
          await close();
        },
      };
    } catch (e) {
      await close();
      throw e;
    }
  }

  warnings(): string[] {
    return this.allowAnonymous
      ? ['broker.allowAnonymous is on: clients without credentials may connect (labs only).']
      : [];
  }

  /** Publishes on the embedded broker for local consumers (QoS 0, never retained). */
  publishLocal(topic: string, payload: string): void {
    this.broker.publish(
      { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
      () => {},
    );
  }

  /** The devices and local consumers with a session open now. */
  connectedIds(): Set<string> {
    const ids = new Set<string>();
    for (const client of connectedClients(this.broker)) {
      const who = identityOf(client);
      if (who?.role === 'device') ids.add(who.deviceId);
      else if (who?.role === 'consumer') ids.add(who.consumerId);
    }
    return ids;
  }

  /**
   * Closes each session whose credential no longer counts: removed, rotated, re-issued, revoked, or a
   * certificate past its end.
   */
  disconnectStaleCredentials(now = Date.now()): void {
    for (const client of connectedClients(this.broker)) {
      const who = identityOf(client);
      if (who?.role !== 'device' && who?.role !== 'consumer') continue;
      const id = who.role === 'device' ? who.deviceId : who.consumerId;
      const d = this.registry.get(id);
      const kind = who.role === 'device' ? who.kind : 'consumer';
      const bySecret = d?.secret.hash === who.credential;
      const byCertificate =
        d?.certificate !== undefined && who.credential === certificateCredential(d.certificate.fingerprint256);
      const expired = byCertificate && Date.parse(d!.certificate!.notAfter) <= now;
      if (d && d.kind === kind && (bySecret || byCertificate) && !expired) continue;
      const reason = !d ? 'removed' : expired ? 'certificate expired' : 'its secret or certificate changed';
      this.log.info({ id, role: who.role, reason }, 'disconnecting');
      client.close();
    }
  }
}

/**
 * Stops accepting, closes the broker (which drops its clients), and ends the sockets that outlive it:
 * a listener only finishes closing once the broker has dropped its clients.
 */
async function closeBroker(
  broker: Aedes | null,
  listeners: Listener[],
  sockets: Array<ReadonlySet<Duplex>>,
  store: { close(): Promise<void> },
  log: Logger,
): Promise<void> {
  const serversClosed = Promise.all(listeners.map((l) => new Promise<void>((r) => l.server.close(() => r()))));
  for (const l of listeners) l.close?.();
  if (broker && !(await within(new Promise<void>((r) => broker.close(() => r())), CLOSE_STEP_MS)))
    log.warn({ step: 'broker close', afterMs: CLOSE_STEP_MS }, 'a step of stopping did not finish; going on');
  if (!(await within(serversClosed, CLOSE_STEP_MS))) {
    const open = sockets.flatMap((set) => [...set]);
    // a connection that never sent CONNECT: aedes closes only its clients
    log.warn(
      { step: 'listeners close', afterMs: CLOSE_STEP_MS, sockets: open.length },
      'a step of stopping did not finish; going on',
    );
    for (const socket of open) socket.destroy();
  }
  await store.close();
}
