import type { AddressInfo, Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { openBrokerPersistence } from './1-inputs/broker/persistence.ts';
import { DEFAULT_VISION, type LoadedPolicy } from '../policies/index.ts';
import { AuditLog, auditRegistryChanges, configEvent, HeadKey } from './4-records/audit/index.ts';
import { upstreamAuditHeadsTopic } from '../devices/index.ts';
import {
  addressKey,
  brokerHooks,
  connectedClients,
  neverWaitForDrain,
  PendingConnections,
  storedWillProblem,
  createMessageEmitter,
  openSockets,
  forgetSubscriptions,
  connectionInfo,
  identityOf,
  listenTcp,
  listenTls,
  listenWebSocket,
  type BrokerHandlers,
  type GuardedConnection,
  type ListenOptions,
} from './1-inputs/broker/index.ts';
import type { GatewayConfig } from './foundation/config/index.ts';
import { CountsAggregator } from './3-decision/counts.ts';
import { decide, type DecideContext } from './3-decision/decide.ts';
import { DecisionAuditRouter } from './3-decision/decision-audit.ts';
import { auditGapSince, recordAuditGap } from './4-records/audit-recovery.ts';
import { parseEventPayload } from './3-decision/event-input.ts';
import type { Logger } from './foundation/log.ts';
import { DurableOutbox, OutboxFullError } from './4-records/outbox/index.ts';
import {
  FrameIngest,
  MAX_FRAME_PIXELS,
  FramePool,
  SnapshotSchedule,
  type FrameRunner,
  type Observation,
  type Snapshot,
} from './2-pipeline/index.ts';
import {
  ActivePolicy,
  deploymentSalt,
  FleetPolicy,
  readTrustedKeys,
  watchFile,
  type LoadOutcome,
} from './3-decision/policy-in-force/index.ts';
import { certificateCredential, certificateLogin, DeviceRegistry } from './foundation/registry/index.ts';
import { MqttUplink, type Uplink } from './5-uplink/index.ts';
import { VERSION } from './foundation/version.ts';
import { RepeatedWarnings } from './foundation/repeated-warnings.ts';
import { eventRecordId } from './3-decision/record-id.ts';
import { describeStorageError } from './foundation/storage/describe-error.ts';
import { createMetricsRegistry, type MetricSources } from './operations/http/metrics.ts';
import { RtspCamera, type RtspProblemCode } from './1-inputs/rtsp/index.ts';
import { GpioSensors } from './1-inputs/gpio/index.ts';
import {
  HttpLogins,
  isLoopback,
  RecentActivity,
  serveHttp,
  type GatewayStatus,
  type HttpSources,
} from './operations/http/index.ts';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/** deliveries aedes runs at once (its default); the rest wait in the message emitter's queue */
const BROKER_CONCURRENCY = 100;

/** whether this code runs from the bundle `npm run build` makes (dist/) or from the TypeScript sources */
const RUNS_FROM = import.meta.url.endsWith('.ts') ? 'sources' : 'bundle';

/** how long one step of stopping may take before the gateway says so and goes on to close its files */
const STOP_STEP_MS = 5_000;

export interface GatewayOptions {
  /** run frames on this runner instead of the worker pool (tests of fail-closed paths) */
  frames?: FrameRunner & { readonly models: string[] | null };
}

/**
 * The running gateway: the broker devices talk to, the frame pipeline, the policy, the audit log,
 * the outbox and the uplink, composed. The only class that owns sockets, timers and files.
 */
export class Gateway {
  /** GPIO sensors whose line reads; MQTT devices are online while connected (deviceStates) */
  readonly online = new Map<string, boolean>();
  readonly counters = {
    refused: {} as Record<string, number>,
    decisions: { forward: 0, withhold: 0 },
    storageErrors: 0,
  };
  /** floods of the same warning become one line a minute with a count */
  private readonly warnings: RepeatedWarnings;
  private timer: NodeJS.Timeout | null = null;
  private brokerStore: { close(): Promise<void> } | null = null;
  /** the mqtts and WebSocket listeners, when configured */
  extraListeners: Listener[] = [];
  private httpServer: HttpServer | null = null;
  /** where the status page, /healthz, /readyz and /metrics are served, when enabled */
  httpAddress: AddressInfo | null = null;
  readonly startedAt = new Date();
  /** the latest redacted preview of each camera: memory only, never written anywhere */
  private readonly previews = new Map<string, { jpeg: Buffer; at: number }>();
  /** previews are made only while someone has the status page open */
  private previewWantedUntil = 0;
  private nextHeadAt = 0;
  /** signs the chain heads sent upstream; set once at start */
  private headKey: HeadKey | null = null;
  /** signed policies from the agency's broker; null when the config trusts no keys */
  fleet: FleetPolicy | null = null;
  /** the last head put in the outbox: an idle chain's head is not sent again */
  private lastHeadSeq = -1;
  /** the RTSP cameras pulled with ffmpeg (`cameras:` in the config) */
  rtsp: RtspCamera[] = [];
  /** sensors on the gateway's own pins; null when none are configured */
  gpio: GpioSensors | null = null;
  /** sensor id (or '' for all of them) -> why its pin cannot be read */
  private readonly gpioProblems = new Map<string, string>();
  private nextPruneAt = 0;
  private nextCredentialCheckAt = 0;
  private readonly watches: Array<{ close(): void }> = [];
  private stopping: Promise<void> | null = null;
  /** the open sockets of each broker listener, to end the ones that outlive the broker at stop */
  private sockets: Array<ReadonlySet<Duplex>> = [];

  private constructor(
    readonly cfg: Readonly<GatewayConfig>,
    readonly log: Logger,
    readonly registry: DeviceRegistry,
    readonly audit: AuditLog,
    readonly outbox: DurableOutbox,
    readonly frames: FrameRunner & { readonly models: string[] | null },
    readonly broker: Aedes,
    private readonly server: Server,
    readonly address: AddressInfo,
    readonly uplink: Uplink,
    readonly ingest: FrameIngest,
    private readonly counts: CountsAggregator,
    private readonly active: ActivePolicy,
    private readonly salt: string,
    private readonly activity: RecentActivity,
    private readonly decisions: DecisionAuditRouter,
  ) {
    this.warnings = new RepeatedWarnings(log);
  }

  /** The policy in force, or null: then nothing is forwarded. */
  get policy(): LoadedPolicy | null {
    return this.active.inForce?.loaded ?? null;
  }

  /**
   * Starts every part in order. A failure part-way closes what had started, newest first, before
   * it is thrown: a failed start leaves no worker thread, socket or open file behind to keep the
   * process alive.
   */
  static async start(cfg: Readonly<GatewayConfig>, log: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
    const undo: Array<() => Promise<unknown>> = [];
    try {
      return await Gateway.compose(cfg, log, opts, undo);
    } catch (e) {
      for (const step of undo.reverse()) {
        await Promise.race([step().catch(() => {}), new Promise((r) => setTimeout(r, STOP_STEP_MS).unref())]);
      }
      throw e;
    }
  }

  private static async compose(
    cfg: Readonly<GatewayConfig>,
    log: Logger,
    opts: GatewayOptions,
    undo: Array<() => Promise<unknown>>,
  ): Promise<Gateway> {
    const registry = await DeviceRegistry.open(cfg.dataDir);
    for (const c of cfg.cameras) {
      // checked before anything listens: the id names the camera in records, policies and the audit log
      if (registry.get(c.id))
        throw Object.assign(
          new Error(`camera ${c.id} in cameras: has the id of a provisioned MQTT device; give it another id`),
          { code: 'CAMERA_ID_TAKEN' },
        );
    }
    const httpLogins =
      cfg.http.enabled && (cfg.http.requireLogin || !isLoopback(cfg.http.host))
        ? await HttpLogins.open(cfg.dataDir)
        : null;
    if (httpLogins && httpLogins.names().length === 0) {
      const msg = `the status page needs a login (http.host ${cfg.http.host}${cfg.http.requireLogin ? ', http.requireLogin' : ''}) and none exists: run "veilgate status-login NAME" first`;
      throw Object.assign(new Error(msg), { code: 'HTTP_LOGIN_MISSING' });
    }
    const audit = await AuditLog.open(join(cfg.dataDir, 'audit'));
    undo.push(() => audit.close());
    const headKey = await HeadKey.openOrCreate(cfg.dataDir);
    const activity = new RecentActivity();
    audit.onRecord((e) => activity.see(e));
    const configChange = await configEvent(audit.dir, cfg);
    if (configChange.damaged) {
      log.warn({ detail: configChange.damaged.detail }, 'a state file under dataDir was damaged and set aside');
      await audit.record(configChange.damaged);
    }
    await audit.record(configChange.event);
    await configChange.commit();
    // device changes made with the CLI (or in the config) while the gateway was stopped
    await auditRegistryChanges(audit.dir, [...registry.list(), ...configuredDevices(cfg)], (e) => audit.record(e));
    const outbox = await DurableOutbox.open(join(cfg.dataDir, 'outbox'), cfg.outbox, {
      commitWindowMs: cfg.outbox.commitWindowMs,
      recentSince: auditGapSince(audit),
    });
    undo.push(() => outbox.close());
    const gap = await recordAuditGap(audit, outbox.recentPuts);
    outbox.recentPuts = [];
    if (gap)
      log.warn(
        { recoveredForwards: gap.recovered },
        'the last stop was unclean: forwards not yet in the audit log were recorded from the outbox',
      );
    const salt = await deploymentSalt(cfg.dataDir);
    const active = new ActivePolicy(cfg.policy.file, audit, log.child({ module: 'policy' }));
    if (outbox.recovered.entries > 0)
      log.info(
        { entries: outbox.recovered.entries, tornBytes: outbox.recovered.tornBytes },
        'outbox recovered records not yet delivered',
      );
    await auditOutboxDamage(outbox, audit, log);
    const frames = opts.frames ?? (await startFramePool(cfg, log));
    if (!opts.frames) undo.push(() => frames.close());

    // late-bound: hooks and the pipeline need the gateway, the gateway needs the broker
    let gw: Gateway | null = null;
    const ready = () => gw!;
    const counts = new CountsAggregator(
      () => active.inForce?.loaded.policy.counts ?? { intervalSeconds: 10, classes: ['person', 'vehicle'] },
    );
    const decisionAudit = new DecisionAuditRouter(audit, () => cfg.audit.windowSeconds * 1000);
    decisionAudit.onDecision = (ev) => activity.seeDecision(new Date().toISOString(), ev.deviceId, ev);
    // deleting a delivered segment forgets its records: the counted decisions about them are recorded
    // first, if a window that may still be open holds them (a drain of old records needs nothing)
    outbox.beforeForget = async (newestAt) => {
      if (newestAt >= Date.now() - 2 * cfg.audit.windowSeconds * 1000)
        await decisionAudit.flush(Number.POSITIVE_INFINITY, { now: true });
    };
    const snapshots = new SnapshotSchedule(() => active.inForce?.loaded.policy.vision.snapshots ?? null);
    const ingest = new FrameIngest(
      frames,
      (id, at) => ({
        redaction: (active.inForce?.loaded.policy.vision ?? DEFAULT_VISION).redact,
        maxPixels: MAX_FRAME_PIXELS,
        countThreshold: cfg.vision.countThreshold,
        snapshot: snapshots.due(id, at),
        preview: ready().previewDue(id, at.getTime()),
      }),
      cfg.vision.queueLength,
      {
        observation: (o, snapshot, preview, reused) => ready().onObservation(o, snapshot, preview, reused),
        dropped: (deviceId, code, detail) => ready().onFrameDropped(deviceId, code, detail),
      },
    );
    const handlers: BrokerHandlers = {
      authenticate: async (id, secret) => {
        // devices are provisioned with the CLI while the gateway runs: read the (small) file again
        await registry.reload();
        const d = await registry.authenticate(id, secret);
        return d ? { deviceId: d.id, kind: d.kind, credential: d.secret.hash } : null;
      },
      isDevice: (id) => registry.get(id) !== undefined,
      deviceKind: (id) => registry.get(id)?.kind ?? null,
      certificate: async (id, fingerprint256, error) => {
        await registry.reload();
        const r = certificateLogin(registry.get(id), id, fingerprint256, error);
        if ('code' in r && registry.get(id)) ready().onRefused(id, 'mqtt', r.code, r.problem);
        return r;
      },
      frame: (deviceId, jpeg) => ingest.submit(deviceId, jpeg),
      event: (deviceId, kind, payload) => ready().onEvent(deviceId, kind, payload),
      // a device is online while it is connected (deviceStates); its status topic is passed on, not believed
      status: () => {},
      refused: (deviceId, channel, code, detail) => ready().onRefused(deviceId, channel, code, detail),
    };
    // before the listener opens: an event accepted in between would be decided with no policy
    const fleet = await openFleetPolicy(cfg, active, log.child({ module: 'fleet' }));
    if (!(await fleet?.restore())) await active.load('start');
    const brokerLog = log.child({ module: 'broker' });
    const limits = cfg.broker.limits;
    const brokerStore = await openBrokerPersistence(join(cfg.dataDir, 'broker'));
    undo.push(() => brokerStore.close());
    if (brokerStore.damaged) {
      log.error({ detail: brokerStore.damaged }, 'the broker store under dataDir was damaged and set aside');
      await audit.record({ type: 'recovery', detail: brokerStore.damaged });
    }
    const broker = await Aedes.createBroker({
      id: `veilgate-${cfg.gatewayId}`,
      mq: createMessageEmitter(BROKER_CONCURRENCY),
      concurrency: BROKER_CONCURRENCY,
      persistence: brokerStore.persistence as unknown as AedesOptions['persistence'],
      connectTimeout: limits.connectTimeoutMs,
      maxInflightInbound: limits.maxInflightInbound,
      maxTopicLevels: limits.maxTopicLevels,
      ...brokerHooks(
        handlers,
        { ...cfg.broker, clientCertAuth: cfg.broker.tls.enabled && cfg.broker.tls.clientCertAuth },
        brokerLog,
      ),
    });
    undo.push(() => new Promise<void>((r) => broker.close(() => r())));
    broker.on('unsubscribe', (topics, client) => forgetSubscriptions(client, topics));
    const pending = new PendingConnections(limits.maxPendingPerAddress);
    broker.on('client', (client) => {
      // logged in: it no longer counts against its address's connections waiting for CONNECT
      pending.release(client.conn);
      // a subscriber that stops reading is cut off, never waited for (broker/patches/slow-subscribers.ts)
      neverWaitForDrain(
        client,
        { maxBytes: limits.subscriberBacklogBytes, maxSeconds: limits.subscriberBacklogSeconds },
        (reason) => gw?.onLimitBroken('SUBSCRIBER_TOO_SLOW', reason, connectionInfo(client.conn)?.remoteAddress, null),
      );
    });
    // aedes reports here what fails outside any client (a stored will it may not publish): logged, never a crash
    (broker as unknown as NodeJS.EventEmitter).on('error', (e: Error) =>
      brokerLog.warn({ err: e.message }, 'broker error'),
    );
    brokerStore.persistence.willCheck = (will) =>
      storedWillProblem(will, (id) => registry.get(id)?.kind ?? null, cfg.broker.allowAnonymous);
    brokerStore.persistence.onWillRefused = (will, problem) =>
      brokerLog.warn(
        { clientId: will.clientId?.slice(0, 64), topic: will.topic.slice(0, 128), problem },
        'stored will deleted: not allowed',
      );
    const listenOpts: ListenOptions = {
      guard: {
        publishBytes: Math.max(cfg.broker.maxFrameBytes + 1024, limits.sensorPacketBytes, limits.controlPacketBytes),
        controlBytes: limits.controlPacketBytes,
        maxTopicBytes: limits.maxTopicBytes,
        maxTopicLevels: limits.maxTopicLevels,
      },
      maxConnections: limits.maxConnections,
      noDelay: cfg.broker.tcpNoDelay,
      onViolation: (v, remoteAddress, conn) => ready().onLimitBroken(v.code, v.detail, remoteAddress, conn),
      onConnectionRefused: (remoteAddress) =>
        ready().onLimitBroken('TOO_MANY_CONNECTIONS', `more than ${limits.maxConnections}`, remoteAddress, null),
      pending,
      onTooManyPending: (remoteAddress) =>
        gw?.onLimitBroken(
          'TOO_MANY_PENDING',
          `more than ${limits.maxPendingPerAddress} connections from this address not logged in`,
          remoteAddress,
          null,
        ),
      handshakeTimeoutMs: limits.connectTimeoutMs,
    };
    const { server, address } = await listenTcp(broker, cfg.broker.host, cfg.broker.port, listenOpts);
    undo.push(() => new Promise<void>((r) => server.close(() => r())));
    const extra = await extraListeners(broker, cfg, listenOpts, undo);
    const uplink = new MqttUplink(cfg, outbox, log.child({ module: 'uplink' }));
    gw = new Gateway(
      cfg,
      log,
      registry,
      audit,
      outbox,
      frames,
      broker,
      server,
      address,
      uplink,
      ingest,
      counts,
      active,
      salt,
      activity,
      decisionAudit,
    );
    gw.brokerStore = brokerStore;
    gw.headKey = headKey;
    uplink.auditKey = headKey.publicPem;
    gw.extraListeners = extra;
    gw.sockets = [server, ...extra.map((l) => l.server)].map(openSockets);
    for (const l of extra)
      log.info({ listener: l.kind, address: `${l.address.address}:${l.address.port}` }, 'broker listening');
    // hot reload: a valid new version takes effect at once; an invalid one is logged and ignored
    gw.watches.push(watchFile(cfg.policy.file, () => void gw!.reloadPolicy('file-changed')));
    // zones set with `veilgate devices zone` reach the policy without waiting for a reconnect
    // and a device removed or rotated with the CLI is disconnected at once
    gw.watches.push(watchFile(registry.file, () => void gw!.registryChanged()));
    undo.push(async () => gw!.watches.forEach((w) => w.close()));
    await audit.record({ type: 'gateway', action: 'start', version: VERSION });
    if (cfg.broker.allowAnonymous)
      log.warn('broker.allowAnonymous is on: clients without credentials may connect (they never see device data)');
    uplink.onConnectionChange = (connected) => {
      audit
        .record({ type: 'uplink', action: connected ? 'connected' : 'disconnected' })
        .catch((e: Error) => gw!.storageFailed(e));
    };
    if (fleet) {
      uplink.onFleetPolicy = (payload) => void fleet.offer(payload).catch((e: Error) => gw!.storageFailed(e));
      fleet.onStatus = (st) => uplink.publishPolicyStatus(JSON.stringify(st));
      fleet.refresh(); // the first report: what is in force after the start
      gw.fleet = fleet;
    }
    await uplink.start();
    outbox.on('dropped', (e, reason) => gw!.onOutboxDrop(e.id, e.key, reason));
    outbox.on('problem', (e) => gw!.storageFailed(e));
    undo.push(() => uplink.stop());
    gw.timer = setInterval(() => void gw!.tick(Date.now()), 1000);
    undo.push(async () => clearInterval(gw!.timer!));
    gw.rtsp = cfg.cameras.map(
      (c) =>
        new RtspCamera(
          c.id,
          c,
          {
            frame: (id, frame) => ingest.submit(id, frame),
            problem: (id, code, detail) => gw!.onRtspProblem(id, code, detail),
          },
          { maxPixels: MAX_FRAME_PIXELS },
        ),
    );
    for (const c of gw.rtsp) c.start();
    undo.push(() => Promise.all(gw!.rtsp.map((c) => c.stop())));
    undo.push(async () => gw!.gpio?.close());
    if (cfg.sensors.length) {
      for (const s of cfg.sensors) {
        if (registry.get(s.id))
          log.error(
            { sensor: s.id },
            'a GPIO sensor has the id of a registered MQTT device: their events cannot be told apart; rename one',
          );
      }
      gw.gpio = await GpioSensors.start(cfg.gpio, cfg.sensors, {
        // the same parse, time check, policy, audit and outbox as an MQTT sensor's event
        event: (id, e) =>
          void gw!.onEvent(id, 'sensor', Buffer.from(JSON.stringify(e))).catch((err: Error) => gw!.storageFailed(err)),
        problem: (id, code, detail) => gw!.onGpioProblem(id, code, detail),
        online: (id) => {
          gw!.online.set(id, true);
          gw!.gpioProblems.delete(id);
        },
        flooded: (id, first) => {
          // each dropped event counted; the flood logged and audited once, not once per event
          if (first)
            gw!.onRefused(
              id,
              'gpio',
              'GPIO_EVENT_FLOOD',
              'more events than the sensor may send; the rest are dropped until it calms down',
            );
          else gw!.countRefusal('GPIO_EVENT_FLOOD');
        },
      });
    }
    if (cfg.http.enabled) {
      const h = await serveHttp(gw.httpSources(), {
        host: cfg.http.host,
        port: cfg.http.port,
        cert: cfg.http.certFile ? await readFile(cfg.http.certFile) : undefined,
        key: cfg.http.keyFile ? await readFile(cfg.http.keyFile) : undefined,
        logins: httpLogins,
      });
      gw.httpServer = h.server;
      gw.httpAddress = h.address;
      if (!isLoopback(cfg.http.host) && !cfg.http.certFile)
        log.warn(
          'the status page is served beyond loopback without TLS: its login travels in clear text; set http.certFile and http.keyFile',
        );
    }
    log.info(
      { broker: `${address.address}:${address.port}`, upstream: cfg.upstream.topicPrefix, code: RUNS_FROM },
      'gateway started',
    );
    if (RUNS_FROM === 'sources' && process.env.NODE_ENV === 'production')
      log.warn(
        'running from the TypeScript sources through tsx; the installed gateway runs the bundle (npm run build), about 60 MiB less resident memory',
      );
    return gw;
  }

  /**
   * Records every device's open window now, cut short, and waits until it is on disk (tests, and before a report of the
   * running box).
   */
  async recordWindowsNow(): Promise<void> {
    await this.decisions.flush(Number.POSITIVE_INFINITY, { now: true });
    await this.audit.drain();
  }

  /** Re-reads the policy file (on change, SIGHUP or request). Never throws: a failure keeps the policy in force. */
  async reloadPolicy(trigger: 'file-changed' | 'signal' | 'command'): Promise<LoadOutcome | null> {
    if (this.stopping) return null;
    try {
      const r = await this.active.load(trigger);
      if (r.outcome === 'activated') this.fleet?.refresh();
      return r;
    } catch (e) {
      this.storageFailed(e as Error);
      return null;
    }
  }

  private decideCtx(): DecideContext {
    return {
      policy: () => this.active.inForce,
      salt: this.salt,
      zoneOf: (id) => this.registry.get(id)?.zone,
      // what the policy let out upstream, also for local consumers (never frames, never raw events)
      publishLocal: (topic, payload) =>
        this.broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
          () => {},
        ),
      audit: this.decisions,
      outbox: this.outbox,
      gatewayId: this.cfg.gatewayId,
      topicPrefix: this.cfg.upstream.topicPrefix,
    };
  }

  private async onEvent(deviceId: string, kind: 'camera' | 'sensor', payload: Buffer): Promise<void> {
    const input = parseEventPayload(payload, Date.now(), this.cfg.events);
    if (!input.ok) {
      // accepted and dropped with a reason: resending a malformed event would not make it valid
      this.onRefused(deviceId, 'events', input.code, input.detail);
      return;
    }
    const ev = input.event;
    const recordId = eventRecordId(this.salt, deviceId, payload);
    const d = await decide(
      this.decideCtx(),
      { deviceId, deviceKind: kind, recordType: ev.type, fields: { ...ev } },
      { recordId },
    );
    this.counters.decisions[d.action]++;
  }

  private onObservation(o: Observation, snapshot: Snapshot | null, preview: Snapshot | null, reused: boolean): void {
    if (preview) this.previews.set(o.deviceId, { jpeg: preview.jpeg, at: Date.now() });
    this.decisions.frame(o.deviceId, {
      processed: true,
      reused,
      redactions: o.redactions,
      redactionMethods: o.redactionMethods,
      models: o.models,
    });
    this.counts.add(o);
    const work = [
      ...(snapshot
        ? [
            decide(
              this.decideCtx(),
              {
                deviceId: o.deviceId,
                deviceKind: 'camera',
                recordType: 'snapshot',
                fields: snapshotFields(o, snapshot),
              },
              { redactions: o.redactions, redactionMethods: o.redactionMethods, models: o.models },
            ),
          ]
        : []),
      decide(
        this.decideCtx(),
        { deviceId: o.deviceId, deviceKind: 'camera', recordType: 'observation', fields: observationFields(o) },
        { redactions: o.redactions, redactionMethods: o.redactionMethods, models: o.models },
      ),
    ];
    void Promise.all(work).then(
      (ds) => ds.forEach((d) => this.counters.decisions[d.action]++),
      (e: Error) => this.storageFailed(e),
    );
  }

  /** Every camera's window closes in the same second: their records share one outbox commit. */
  private async flushCounts(now: number): Promise<void> {
    await Promise.all(
      this.counts.flush(now).map(({ candidate, redactions, models }) =>
        decide(this.decideCtx(), candidate, { redactions, models }).then(
          (d) => void this.counters.decisions[d.action]++,
          (e: Error) => this.storageFailed(e),
        ),
      ),
    );
  }

  /** Re-reads the registry; a connected device that was removed, or whose secret was rotated, is disconnected. */
  private async registryChanged(): Promise<void> {
    try {
      await this.registry.reload();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'device registry could not be re-read');
      return;
    }
    this.disconnectStaleCredentials(Date.now());
    await auditRegistryChanges(this.audit.dir, [...this.registry.list(), ...configuredDevices(this.cfg)], (e) =>
      this.audit.record(e),
    ).catch((e: Error) => this.storageFailed(e));
  }

  /**
   * Closes each session whose credential no longer counts: removed, rotated, re-issued, revoked, or a
   * certificate past its end. Run on each registry change and once a minute; public for tests.
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
      this.log.info(
        {
          id,
          role: who.role,
          reason: !d ? 'removed' : expired ? 'certificate expired' : 'its secret or certificate changed',
        },
        'disconnecting',
      );
      client.close();
    }
  }

  /** A connection cut by a hard limit: counted, logged, and audited against the device when known. */
  private onLimitBroken(
    code: string,
    detail: string,
    remoteAddress: string | undefined,
    conn: GuardedConnection | null,
  ): void {
    const client = conn ? clientOfConnection(this.broker, conn) : undefined;
    const who = identityOf(client);
    const deviceId = who?.role === 'device' ? who.deviceId : null;
    this.countRefusal(code);
    this.warnings.warn(
      `${code} ${addressKey(remoteAddress)} ${deviceId ?? ''}`,
      { code, detail, remoteAddress, deviceId },
      'connection cut: limit broken',
    );
    if (deviceId) this.decisions.refused(deviceId, 'mqtt', code, detail);
  }

  private async tick(now: number): Promise<void> {
    await this.flushCounts(now);
    await this.decisions.flush(now).catch((e: Error) => this.storageFailed(e));
    await this.outbox.expire(now).catch((e: Error) => this.storageFailed(e));
    await this.maintainAudit(now).catch((e: Error) => this.storageFailed(e));
    if (now >= this.nextCredentialCheckAt) {
      this.nextCredentialCheckAt = now + 60_000;
      // a certificate that ends while its session is open: the session ends with it, within a minute
      this.disconnectStaleCredentials(now);
    }
  }

  /** Rotates and prunes the audit log, and publishes its head upstream now and then. */
  private async maintainAudit(now: number): Promise<void> {
    const a = this.cfg.audit;
    await this.audit.rotateIfLarger(a.segmentBytes);
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60_000;
      const removed = await this.audit.prune(new Date(now - a.retainDays * 86_400_000), a.maxTotalBytes);
      if (removed > 0) this.log.info({ files: removed }, 'audit retention removed old segments');
    }
    if (now >= this.nextHeadAt) {
      this.nextHeadAt = now + a.headIntervalSeconds * 1000;
      await this.publishHead(new Date(now));
    }
  }

  /**
   * The chain's head, signed with the gateway's audit key: retained as the latest, and each new one
   * as its own QoS 1 record through the outbox, so the agency archives every head and a tail
   * rewritten after any of them fails `audit verify --heads`.
   */
  private async publishHead(at: Date): Promise<void> {
    const head = this.headKey!.sign(this.cfg.gatewayId, this.audit.chainHead, at);
    const payload = JSON.stringify(head);
    this.uplink.publishAuditHead(payload);
    if (head.seq === this.lastHeadSeq) return;
    const topic = upstreamAuditHeadsTopic(this.cfg.upstream.topicPrefix, this.cfg.gatewayId);
    try {
      await this.outbox.put({
        id: `audit-head-${head.seq}-${head.hash.slice(0, 16)}`,
        topic,
        payload,
        key: '$audit-heads',
        at: at.getTime(),
      });
      this.lastHeadSeq = head.seq;
    } catch (e) {
      // a full outbox that refuses new records is not a disk fault: the next head is tried next time
      if (!(e instanceof OutboxFullError)) throw e;
      this.warnings.warn(
        'audit-head-outbox-full',
        { seq: head.seq },
        'signed audit head not queued upstream: the outbox is full',
      );
    }
  }

  /**
   * A preview for the status page: only when the policy allows it, the config does, and someone is looking; at most one
   * a second.
   */
  private previewDue(deviceId: string, now: number): { maxWidth: number } | null {
    if (!this.cfg.http.enabled || !this.cfg.http.preview || !this.policy?.policy.vision.localPreview) return null;
    if (now > this.previewWantedUntil) return null;
    const last = this.previews.get(deviceId);
    return last && now - last.at < 1000 ? null : { maxWidth: 640 };
  }

  httpSources(): HttpSources {
    const metrics = createMetricsRegistry(this.metricSources());
    return {
      status: () => this.status(),
      preview: (id) => {
        this.previewWantedUntil = Date.now() + 30_000;
        // checked again when served: a policy that stopped allowing previews hides the last one too
        return this.policy?.policy.vision.localPreview && this.cfg.http.preview
          ? (this.previews.get(id)?.jpeg ?? null)
          : null;
      },
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
      ready: () => {
        const reasons = [
          ...(this.policy ? [] : ['no valid policy is in force']),
          ...(this.frames.models ? [] : ['the vision models are not loaded']),
          ...(this.stopping ? ['stopping'] : []),
        ];
        return { ready: reasons.length === 0, reasons };
      },
    };
  }

  /** Everything the status page shows. Device ids and counts; never field values, images or secrets. */
  status(now = Date.now()): GatewayStatus {
    this.previewWantedUntil = now + 30_000;
    const p = this.policy;
    const health = this.ingest.health(now);
    const drops = this.outbox.drops as Record<string, number>;
    const warnings = [
      ...(p ? [] : ['No valid policy is in force: nothing is forwarded.']),
      ...(this.frames.models ? [] : ['The vision models are not loaded: every camera frame is withheld.']),
      ...(this.cfg.broker.allowAnonymous
        ? ['broker.allowAnonymous is on: clients without credentials may connect (labs only).']
        : []),
      ...(this.uplink.connected ? [] : ['The agency broker is not reachable: approved records wait in the outbox.']),
      ...(this.uplink.takenOver
        ? [
            `The agency broker keeps closing this gateway's connection right after accepting it: is another gateway using gatewayId ${this.cfg.gatewayId}?`,
          ]
        : []),
      ...(Object.keys(drops).length
        ? [
            `Approved records were dropped from the outbox: ${Object.entries(drops)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}.`,
          ]
        : []),
      ...[...this.gpioProblems].map(
        ([id, detail]) => `${id ? `The GPIO sensor ${id}` : 'The GPIO sensors'} cannot be read: ${detail}`,
      ),
      ...(this.counters.storageErrors
        ? [`${this.counters.storageErrors} write(s) to the audit log or outbox failed: check the disk.`]
        : []),
    ];
    return {
      gateway: {
        id: this.cfg.gatewayId,
        version: VERSION,
        startedAt: this.startedAt.toISOString(),
        now: new Date(now).toISOString(),
      },
      warnings,
      policy: p
        ? {
            id: p.policy.id,
            version: p.policy.version,
            sha256: p.sha256,
            title: p.policy.title,
            source: p.source,
            localPreview: p.policy.vision.localPreview,
          }
        : null,
      policyHistory: this.activity.policyHistory(),
      devices: this.deviceStates(health),
      outbox: {
        depth: this.outbox.size,
        bytes: this.outbox.bytes,
        oldestAgeSeconds: this.outbox.oldestAt === null ? 0 : (now - this.outbox.oldestAt) / 1000,
        dropped: { ...drops },
      },
      uplink: { connected: this.uplink.connected, ...this.uplink.stats },
      decisions: { ...this.counters.decisions },
      recent: this.activity.recent(),
      audit: this.audit.chainHead,
    };
  }

  private onOutboxDrop(recordId: string, deviceId: string, reason: string): void {
    this.warnings.warn(
      `outbox-drop ${reason}`,
      { recordId, deviceId, reason },
      'approved record dropped from the outbox',
    );
    this.decisions.outboxDropped(deviceId, recordId, reason);
  }

  metricSources(): MetricSources {
    return {
      outbox: this.outbox,
      uplink: this.uplink,
      decisions: this.counters.decisions,
      frames: this.ingest.stats,
      devicesOnline: () => this.deviceStates().filter((d) => d.online).length,
      broker: { connections: () => this.broker.connectedClients, refused: this.counters.refused },
      policy: () => ({ inForce: this.policy !== null, version: this.policy?.policy.version ?? 0 }),
      audit: this.audit,
      storageErrors: () => this.counters.storageErrors,
      motion: this.cfg.vision.motion.enabled ? this.ingest.stats : null,
    };
  }

  /** Whether a device is online as the status page shows it (deviceStates). */
  deviceOnline(id: string): boolean {
    return this.deviceStates().some((d) => d.id === id && d.online);
  }

  /**
   * Every device and whether it is online: an MQTT device (or local consumer) while a session of it is connected,
   * whether or not it publishes a status; an RTSP camera while it streams; a GPIO sensor while its line reads.
   */
  private deviceStates(health: ReturnType<FrameIngest['health']> = {}): GatewayStatus['devices'] {
    const connected = new Set<string>();
    for (const client of connectedClients(this.broker)) {
      const who = identityOf(client);
      if (who?.role === 'device') connected.add(who.deviceId);
      else if (who?.role === 'consumer') connected.add(who.consumerId);
    }
    return [
      ...this.registry.list().map((d) => ({
        id: d.id,
        kind: d.kind,
        zone: d.zone ?? null,
        online: connected.has(d.id),
        camera: health[d.id] ?? null,
        preview: this.previews.has(d.id),
      })),
      ...this.rtsp.map((c) => ({
        id: c.id,
        kind: 'camera (rtsp)',
        zone: null,
        online: c.streaming,
        camera: health[c.id] ?? null,
        preview: this.previews.has(c.id),
      })),
      ...this.cfg.sensors.map((s) => ({
        id: s.id,
        kind: `${s.kind} (gpio ${s.pin})`,
        zone: null,
        online: this.online.get(s.id) ?? false,
        camera: null,
        preview: false,
      })),
    ];
  }

  private onFrameDropped(deviceId: string, code: string, detail: string): void {
    this.warnings.warn(`frame-withheld ${deviceId} ${code}`, { deviceId, code, detail }, 'frame withheld');
    this.decisions.frame(deviceId, { processed: false, code });
  }

  /** An RTSP stream interrupted: counted, logged (without credentials) and audited; ffmpeg restarts by itself. */
  private onRtspProblem(cameraId: string, code: RtspProblemCode, detail: string): void {
    this.onRefused(cameraId, 'rtsp', code, detail);
  }

  /** A pin (or all) cannot be read: its sensor is shown offline until it can; MQTT devices carry on. */
  private onGpioProblem(sensorId: string | null, code: 'GPIO_UNAVAILABLE', detail: string): void {
    this.gpioProblems.set(sensorId ?? '', detail);
    for (const s of this.cfg.sensors) if (sensorId === null || s.id === sensorId) this.online.set(s.id, false);
    this.onRefused(sensorId ?? 'gpio', 'gpio', code, detail);
  }

  private onRefused(deviceId: string, channel: string, code: string, detail: string): void {
    this.countRefusal(code);
    this.warnings.warn(`${code} ${deviceId}`, { deviceId, channel, code, detail }, 'input refused');
    this.decisions.refused(deviceId, channel, code, detail);
  }

  /** `veilgate_broker_refused_total{code}` and the status page read these */
  private countRefusal(code: string): void {
    this.counters.refused[code] = (this.counters.refused[code] ?? 0) + 1;
  }

  storageFailed(e: Error): void {
    this.counters.storageErrors++;
    this.log.error({ err: describeStorageError(e) }, 'could not write the audit log or outbox');
  }

  /** Stops accepting, finishes queued work, records the stop and closes every file. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.httpServer?.close();
    this.httpServer?.closeAllConnections?.();
    for (const w of this.watches) w.close();
    // stop accepting first; the server only finishes closing once the broker has dropped its clients
    const serverClosed = Promise.all(
      [this.server, ...this.extraListeners.map((l) => l.server)].map(
        (srv) => new Promise<void>((r) => srv.close(() => r())),
      ),
    );
    for (const l of this.extraListeners) l.close?.();
    await this.stopStep('broker close', new Promise<void>((r) => this.broker.close(() => r())));
    if (!(await this.stopStep('listeners close', serverClosed)))
      for (const socket of this.sockets.flatMap((set) => [...set])) socket.destroy();
    await this.brokerStore?.close();
    await Promise.all(this.rtsp.map((c) => c.stop()));
    await this.gpio?.close();
    await this.ingest.idle();
    await this.flushCounts(Number.POSITIVE_INFINITY); // the last, partial window of each camera
    await this.decisions.flush(Number.POSITIVE_INFINITY).catch((e: Error) => this.storageFailed(e));
    await this.audit.record({ type: 'gateway', action: 'stop', version: VERSION });
    // the stop entry is the last: the disconnect that follows is not an outage
    this.uplink.onConnectionChange = null;
    await this.publishHead(new Date()).catch((e: Error) => this.storageFailed(e));
    await this.stopStep('uplink stop', this.uplink.stop());
    await Promise.all([this.audit.close(), this.outbox.close(), this.frames.close()]);
    this.log.info('gateway stopped');
  }

  /**
   * One step of stopping, bounded: a socket that will not close or a peer that never acknowledges
   * must not keep the gateway from closing its audit log and outbox. Says which step it gave up on.
   */
  private async stopStep(step: string, done: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), STOP_STEP_MS))),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.log.warn(
        { step, afterMs: STOP_STEP_MS, sockets: this.sockets.reduce((n, set) => n + set.size, 0) },
        'a step of stopping did not finish; going on',
      );
    return finished;
  }
}

/**
 * Damaged lines found when the outbox opened: each approved record that was lost is an audited,
 * counted OUTBOX_CORRUPT drop, and the operator is told which file and where its copy is.
 */
async function auditOutboxDamage(outbox: DurableOutbox, audit: AuditLog, log: Logger): Promise<void> {
  const r = outbox.recovered;
  if (r.corruptLines === 0) return;
  log.error(
    { dir: outbox.dir, damagedLines: r.corruptLines, lostRecords: r.lost.length, copy: r.quarantined },
    'the outbox had damaged lines: the readable records were kept; a copy of the damaged file is kept for inspection (check the SD card: veilgate doctor)',
  );
  for (const lost of r.lost) {
    outbox.drops.OUTBOX_CORRUPT = (outbox.drops.OUTBOX_CORRUPT ?? 0) + 1;
    await audit.record({
      type: 'outbox-drop',
      recordId: lost.id ?? `unreadable (line ${lost.line})`,
      deviceId: lost.key ?? 'unknown',
      reason: 'OUTBOX_CORRUPT',
    });
  }
}

/**
 * Devices that live in the config rather than the registry (RTSP cameras, GPIO sensors), so that the
 * audit log, and the transparency report made from it, list them with the provisioned ones.
 */
function configuredDevices(cfg: Readonly<GatewayConfig>): Array<{ id: string; kind: string; createdAt: string }> {
  return [
    ...cfg.cameras.map((c) => ({ id: c.id, kind: 'camera', createdAt: 'config' })),
    ...cfg.sensors.map((s) => ({ id: s.id, kind: 'sensor', createdAt: 'config' })),
  ];
}

/** A redacted snapshot as the policy sees it: the image only as base64 of the redacted JPEG. */
function snapshotFields(o: Observation, s: Snapshot): Record<string, unknown> {
  return { at: o.at, width: s.width, height: s.height, jpeg: s.jpeg.toString('base64') };
}

/** Per-frame facts for the policy: counts and normalized boxes, never pixels. */
function observationFields(o: Observation): Record<string, unknown> {
  return { at: o.at, ...o.counts, boxes: o.detections.map((d) => ({ cls: d.cls, score: d.score, ...d.box })) };
}

interface Listener {
  kind: 'mqtts' | 'ws';
  server: Server;
  address: AddressInfo;
  close?: () => void;
}

async function extraListeners(
  broker: Aedes,
  cfg: Readonly<GatewayConfig>,
  o: ListenOptions,
  undo: Array<() => Promise<unknown>>,
): Promise<Listener[]> {
  const out: Listener[] = [];
  const t = cfg.broker.tls;
  if (t.enabled) {
    const r = await listenTls(
      broker,
      {
        host: t.host,
        port: t.port,
        cert: await readFile(t.certFile!),
        key: await readFile(t.keyFile!),
        ca: t.caFile ? await readFile(t.caFile) : undefined,
        requestCert: t.clientCertAuth,
      },
      o,
    );
    out.push({ kind: 'mqtts', server: r.server, address: r.address });
    undo.push(() => new Promise<void>((done) => r.server.close(() => done())));
  }
  const w = cfg.broker.websocket;
  if (w.enabled) {
    const r = await listenWebSocket(broker, w, o);
    out.push({ kind: 'ws', server: r.server, address: r.address, close: r.close });
    undo.push(async () => {
      r.close();
      await new Promise<void>((done) => r.server.close(() => done()));
    });
  }
  return out;
}

/** The aedes client on a guarded connection (aedes sets `conn.client`; we hold the connection's info). */
function clientOfConnection(broker: Aedes, conn: GuardedConnection): Client | undefined {
  return connectedClients(broker).find((c) => connectionInfo(c.conn) === conn);
}

/**
 * The frame workers. libvips threads are shared out among them so that image work never takes the
 * core the broker's event loop needs (vision.threads: auto = cores - 1).
 */
async function startFramePool(cfg: Readonly<GatewayConfig>, log: Logger): Promise<FramePool> {
  const threads = cfg.vision.threads === 'auto' ? Math.max(1, availableParallelism() - 1) : cfg.vision.threads;
  const workers = cfg.vision.workers;
  const pool = new FramePool({
    size: workers,
    timeoutMs: cfg.vision.frameTimeoutMs,
    init: {
      vision: cfg.vision,
      masks: cfg.vision.masks,
      orientation: cfg.vision.orientation,
      holdFrames: cfg.vision.holdFrames,
      motion: cfg.vision.motion,
      imageThreads: Math.max(1, Math.floor(threads / workers)),
    },
    onRestart: (slot, reason) =>
      log.error({ worker: slot, reason }, 'frame worker restarted; its frames in flight were withheld'),
  });
  const started = await pool.started();
  if ('error' in started)
    log.error({ err: started.error }, 'models could not be loaded: every camera frame will be withheld');
  else
    log.info(
      {
        workers,
        threadsPerWorker: Math.max(1, Math.floor(threads / workers)),
        cores: availableParallelism(),
        models: started.models,
      },
      'frame workers ready',
    );
  return pool;
}

/**
 * Signed policies from the agency's broker, when the config trusts keys for them; a key that cannot be
 * read stops the start.
 */
async function openFleetPolicy(
  cfg: Readonly<GatewayConfig>,
  active: ActivePolicy,
  log: Logger,
): Promise<FleetPolicy | null> {
  if (cfg.policy.trustedKeys.length === 0) return null;
  const keys = await readTrustedKeys(cfg.policy.trustedKeys);
  if (!keys.ok)
    throw Object.assign(new Error(`policy.trustedKeys: ${keys.errors.join('; ')}`), { code: 'TRUSTED_KEY_BAD' });
  return new FleetPolicy(cfg.gatewayId, cfg.dataDir, active, keys.keys, log);
}
