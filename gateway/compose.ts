import { DEFAULT_VISION } from '../policies/index.ts';
import { BrokerPart, registryHandlers } from './1-inputs/broker/index.ts';
import { GpioPart } from './1-inputs/gpio/index.ts';
import { startRtspCameras } from './1-inputs/rtsp/index.ts';
import * as pipeline from './2-pipeline/index.ts';
import { DecisionStage } from './3-decision/decision-stage.ts';
import { PolicyPart } from './3-decision/policy-in-force/index.ts';
import { watchFile } from './foundation/watch-file.ts';
import { auditRegistryChanges } from './4-records/audit/index.ts';
import { startAuditUpkeep } from './4-records/audit-upkeep.ts';
import { openRecords } from './4-records/open-records.ts';
import { startUplink } from './5-uplink/index.ts';
import {
  CameraZones,
  knownDevices,
  refuseRegistryCameraZones,
  watchCameraZones,
  refuseTakenCameraIds,
  type GatewayConfig,
} from './foundation/config/index.ts';
import { CLOSE_STEP_MS, type Lifecycle } from './foundation/lifecycle.ts';
import type { Logger } from './foundation/log.ts';
import { DeviceRegistry } from './foundation/registry/index.ts';
import { StorageFaults } from './foundation/storage/storage-faults.ts';
import * as http from './operations/http/index.ts';
// the gateway's side of the fleet view; operations/fleet/index.ts is the agency's tools
import { startHealthReports } from './operations/fleet/health.ts';

/** whether this code runs from the bundle `npm run build` makes (dist/) or from the TypeScript sources */
const RUNS_FROM = import.meta.url.endsWith('.ts') ? 'sources' : 'bundle';

export type GatewayParts = Awaited<ReturnType<typeof composeGateway>>;

/**
 * The composition root. Each part starts itself and returns its own close (foundation/lifecycle.ts);
 * they start here in the order of their dependencies and close in reverse: the status page and inputs
 * first, then the frames in flight and the last windows, the stop entry, the uplink, and the audit log
 * and outbox last. Nothing is bound late: each part is given only parts that already run.
 */
export async function composeGateway(
  cfg: Readonly<GatewayConfig>,
  log: Logger,
  opts: { frames?: pipeline.FrameRunner & { readonly models: string[] | null }; configFile?: string },
  life: Lifecycle,
) {
  const startedAt = new Date();
  const registry = await DeviceRegistry.open(cfg.dataDir);
  refuseTakenCameraIds(cfg, (id) => registry.get(id) !== undefined);
  refuseRegistryCameraZones(registry.list(), opts.configFile);
  const zones = new CameraZones(cfg);
  const zoneOf = (id: string) => zones.zoneOf(id, registry.get(id));
  const logins = await http.openHttpLogins(cfg);
  const faults = new StorageFaults(log);
  const fail = (e: Error) => faults.failed(e);
  const devices = () => knownDevices(registry.list(), cfg, zones);
  const records = await life.start('records', () => openRecords(cfg, devices, log));
  const { audit, outbox } = records;
  const auditDevices = () => auditRegistryChanges(audit.dir, devices(), (e) => audit.record(e)).catch(fail);
  outbox.on('problem', fail);
  const activity = new http.RecentActivity();
  audit.onRecord((e) => activity.see(e));
  // raw frames' buffers go from the RTSP readers to the frame workers and back, to be read into again
  const frameBuffers = new pipeline.FrameBuffers();
  const frames =
    opts.frames ?? (await life.start('frame workers', () => pipeline.startFramePool(cfg, log, frameBuffers)));
  const policy = await PolicyPart.start(cfg, audit, log, faults);
  const fleet = policy.fleet;
  const uplink = await life.start('uplink', () =>
    startUplink(cfg, outbox, log.child({ module: 'uplink' }), {
      auditKey: records.headKey.publicPem,
      onConnectionChange: (up) =>
        void audit.record({ type: 'uplink', action: up ? 'connected' : 'disconnected' }).catch(fail),
      onFleetPolicy: fleet ? (payload) => void fleet.offer(payload).catch(fail) : undefined,
    }),
  );
  if (fleet) {
    fleet.onStatus = (st) => uplink.publishPolicyStatus(JSON.stringify(st));
    fleet.refresh(); // the first report: what is in force after the start
  }
  await life.start('audit upkeep', () =>
    startAuditUpkeep({ cfg, records, publishHead: (h) => uplink.publishAuditHead(h), faults, log }),
  );
  const decisions = await life.start('decisions', () =>
    DecisionStage.start({
      ...{ cfg, active: policy.active, salt: policy.salt, audit, outbox, faults, log },
      zoneOf,
      onDecision: (ev) => activity.seeDecision(new Date().toISOString(), ev.deviceId, ev),
    }),
  );
  const vision = () => policy.active.inForce?.loaded.policy.vision ?? null;
  const previews = new http.Previews(() => cfg.http.enabled && cfg.http.preview && !!vision()?.localPreview);
  const snapshots = new pipeline.SnapshotSchedule(() => vision()?.snapshots ?? null);
  const ingest = new pipeline.FrameIngest(
    frames,
    (id, at) => ({
      redaction: (vision() ?? DEFAULT_VISION).redact,
      maxPixels: pipeline.MAX_FRAME_PIXELS,
      countThreshold: cfg.vision.countThreshold,
      snapshot: snapshots.due(id, at),
      preview: previews.due(id, at.getTime()),
    }),
    cfg.vision.queueLength,
    {
      observation: (o, snapshot, preview, reused) => {
        if (preview) previews.keep(o.deviceId, preview.jpeg);
        decisions.observed(o, snapshot, reused);
      },
      dropped: (id, code, detail) => decisions.frameDropped(id, code, detail),
    },
  );
  life.onClose('frames in flight', () => ingest.idle());
  const refused = decisions.refused.bind(decisions);
  const handlers = registryHandlers(registry, {
    frame: (id, jpeg) => ingest.submit(id, jpeg),
    event: (id, kind, payload) => decisions.event(id, kind, payload),
    refused,
  });
  const brokerEvents = {
    limitBroken: decisions.limitBroken.bind(decisions),
    storeDamaged: (detail: string) => audit.record({ type: 'recovery', detail }),
  };
  const brokerLog = log.child({ module: 'broker' });
  const broker = await life.start(
    'broker',
    () => BrokerPart.start(cfg, registry, handlers, brokerEvents, brokerLog),
    3 * CLOSE_STEP_MS,
  );
  decisions.onLocal((topic, payload) => broker.publishLocal(topic, payload));
  const rtsp = await life.start('rtsp cameras', () =>
    startRtspCameras(
      cfg,
      { frame: (id, f) => ingest.submit(id, f), problem: (id, code, d) => refused(id, 'rtsp', code, d) },
      pipeline.MAX_FRAME_PIXELS,
      frameBuffers,
    ),
  );
  const gpio = await life.start('gpio', () =>
    GpioPart.start(
      cfg,
      registry,
      {
        event: (id, e) => void decisions.event(id, 'sensor', Buffer.from(JSON.stringify(e))).catch(fail),
        refused,
        countRefusal: (code) => decisions.countRefusal(code),
      },
      log,
    ),
  );
  // zones set with `veilgate devices zone` reach the policy without waiting for a reconnect, and a device
  // removed or rotated with the CLI is disconnected at once
  const registryWatch = watchFile(registry.file, () => {
    void registry.reload().then(
      async () => {
        broker.disconnectStaleCredentials(Date.now());
        await auditDevices();
      },
      (e: Error) => log.warn({ err: e.message }, 'device registry could not be re-read'),
    );
  });
  life.onClose('registry watch', () => registryWatch.close());
  life.onClose('policy watch', policy.watch());
  // a camera's zone set with `veilgate devices zone` is written to the config: taken at once, and audited
  if (opts.configFile)
    life.onClose(
      'config watch',
      watchCameraZones(opts.configFile, zones, log, () => void auditDevices()),
    );
  const running = {
    cfg,
    startedAt,
    registry,
    audit,
    outbox,
    frames,
    policy,
    uplink,
    decisions,
    ingest,
    broker,
    rtsp,
    gpio,
    faults,
    activity,
    previews,
    zoneOf,
    stopping: () => life.stopping,
  };
  const status = http.statusOf(running);
  const devicesNow = () => http.devicesOf(running, Date.now());
  const httpAddress = await life.start('status page', () => http.startStatusPage(running, logins, log));
  life.onClose('health reports', startHealthReports(running));
  log.info(
    { broker: `${broker.address.address}:${broker.address.port}`, upstream: cfg.upstream.topicPrefix, code: RUNS_FROM },
    'gateway started',
  );
  if (RUNS_FROM === 'sources' && process.env.NODE_ENV === 'production')
    log.warn(
      'running from the TypeScript sources through tsx; the installed gateway runs the bundle (npm run build), about 60 MiB less resident memory',
    );
  return { ...running, log, records, httpAddress, status, devicesNow };
}
