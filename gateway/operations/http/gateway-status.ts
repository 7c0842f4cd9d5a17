import type { CameraHealth } from '../../2-pipeline/camera-stats.ts';
import { VERSION } from '../../foundation/version.ts';
import type { RecentActivity } from './recent-activity.ts';
import type { GatewayStatus } from './status.ts';

/** Each part's own section of the status page; this module only puts them side by side. */
export interface StatusSections {
  gateway: { id: string; startedAt: Date };
  /** each part's warnings, in the order the page shows them */
  warnings: Array<() => string[]>;
  policy(): GatewayStatus['policy'];
  activity: RecentActivity;
  devices(): DeviceSources;
  outbox: { size: number; bytes: number; oldestAt: number | null; drops: Partial<Record<string, number>> };
  uplink: { connected: boolean; stats: { delivered: number; retried: number; reconnects: number } };
  decisions: { forward: number; withhold: number };
  audit: { chainHead: { seq: number; hash: string } };
}

/** Who the gateway knows, from the parts that know them. */
export interface DeviceSources {
  registered: ReadonlyArray<{ id: string; kind: string; zone?: string | undefined }>;
  /** devices and local consumers with an MQTT session open */
  connected: ReadonlySet<string>;
  rtsp: Array<{ id: string; streaming: boolean }>;
  gpio: Array<{ id: string; kind: string; online: boolean }>;
  health: Record<string, CameraHealth>;
  hasPreview(id: string): boolean;
  /** a camera's zone from the config, any other device's from the registry */
  zoneOf(id: string): string | undefined;
}

/** Everything the status page shows. Device ids and counts; never field values, images or secrets. */
export function gatewayStatus(s: StatusSections, now = Date.now()): GatewayStatus {
  const { size, bytes, oldestAt, drops } = s.outbox;
  const { delivered, retried, reconnects } = s.uplink.stats;
  return {
    gateway: {
      id: s.gateway.id,
      version: VERSION,
      startedAt: s.gateway.startedAt.toISOString(),
      now: new Date(now).toISOString(),
    },
    warnings: s.warnings.flatMap((w) => w()),
    policy: s.policy(),
    policyHistory: s.activity.policyHistory(),
    devices: deviceStates(s.devices()),
    outbox: {
      depth: size,
      bytes,
      oldestAgeSeconds: oldestAt === null ? 0 : (now - oldestAt) / 1000,
      dropped: { ...(drops as Record<string, number>) },
    },
    uplink: { connected: s.uplink.connected, delivered, retried, reconnects },
    decisions: { ...s.decisions },
    recent: s.activity.recent(),
    audit: s.audit.chainHead,
  };
}

/**
 * Every device and whether it is online: an MQTT device (or local consumer) while a session of it is connected,
 * whether or not it publishes a status; an RTSP camera while it streams; a GPIO sensor while its line reads.
 */
export function deviceStates(d: DeviceSources): GatewayStatus['devices'] {
  const camera = (id: string) => ({ camera: d.health[id] ?? null, preview: d.hasPreview(id) });
  return [
    ...d.registered.map((r) => ({
      id: r.id,
      kind: r.kind,
      zone: d.zoneOf(r.id) ?? null,
      online: d.connected.has(r.id),
      ...camera(r.id),
    })),
    ...d.rtsp.map((c) => ({
      id: c.id,
      kind: 'camera (rtsp)',
      zone: d.zoneOf(c.id) ?? null,
      online: c.streaming,
      ...camera(c.id),
    })),
    ...d.gpio.map((s) => ({ ...s, zone: null, camera: null, preview: false })),
  ];
}
