import type { LoadedPolicy } from '../policies/index.ts';
import type { FrameRunner } from './2-pipeline/index.ts';
import type { ReloadTrigger } from './3-decision/policy-in-force/index.ts';
import { composeGateway, type GatewayParts as P } from './compose.ts';
import type { GatewayConfig } from './foundation/config/index.ts';
import { Lifecycle } from './foundation/lifecycle.ts';
import type { Logger } from './foundation/log.ts';
import type { GatewayStatus } from './operations/http/index.ts';

export interface GatewayOptions {
  /** run frames on this runner instead of the worker pool (tests of fail-closed paths) */
  frames?: FrameRunner & { readonly models: string[] | null };
  /** the config's file: watched for cameras' zones, which `veilgate devices zone` writes there */
  configFile?: string;
}

/**
 * The running gateway, as the CLI, the tests and the benches see it: its parts (started and closed by
 * compose.ts), and what is asked of the whole.
 */
export class Gateway {
  readonly cfg: P['cfg'];
  readonly startedAt: Date;
  readonly registry: P['registry'];
  readonly audit: P['records']['audit'];
  readonly outbox: P['records']['outbox'];
  readonly frames: P['frames'];
  readonly uplink: P['uplink'];
  readonly ingest: P['ingest'];
  readonly rtsp: P['rtsp'];
  readonly httpAddress: P['httpAddress'];
  readonly counters: P['decisions']['counters'];

  private constructor(
    private readonly life: Lifecycle,
    private readonly p: P,
  ) {
    this.cfg = p.cfg;
    this.startedAt = p.startedAt;
    this.registry = p.registry;
    this.audit = p.records.audit;
    this.outbox = p.records.outbox;
    this.frames = p.frames;
    this.uplink = p.uplink;
    this.ingest = p.ingest;
    this.rtsp = p.rtsp;
    this.httpAddress = p.httpAddress;
    this.counters = p.decisions.counters;
  }

  /** Starts every part; a failure part-way closes what had started, newest first, before it is thrown. */
  static async start(cfg: Readonly<GatewayConfig>, log: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
    const life = new Lifecycle(log);
    try {
      return new Gateway(life, await composeGateway(cfg, log, opts, life));
    } catch (e) {
      await life.close();
      throw e;
    }
  }

  get broker(): P['broker']['broker'] {
    return this.p.broker.broker;
  }

  /** the plain MQTT listener's address */
  get address(): P['broker']['address'] {
    return this.p.broker.address;
  }

  /** the mqtts and WebSocket listeners, when configured */
  get extraListeners(): P['broker']['extraListeners'] {
    return this.p.broker.extraListeners;
  }

  /** sensors on the gateway's own pins; null when none are configured */
  get gpio(): P['gpio']['sensors'] {
    return this.p.gpio.sensors;
  }

  /** signed policies from the agency's broker; null when the config trusts no keys */
  get fleet(): P['policy']['fleet'] {
    return this.p.policy.fleet;
  }

  /** The policy in force, or null: then nothing is forwarded. */
  get policy(): LoadedPolicy | null {
    return this.p.policy.policy;
  }

  /** Re-reads the policy file (on change, SIGHUP or request). Never throws: a failure keeps the policy in force. */
  reloadPolicy(trigger: ReloadTrigger): ReturnType<P['policy']['reload']> {
    return this.life.stopping ? Promise.resolve(null) : this.p.policy.reload(trigger);
  }

  /** Everything the status page shows. Device ids and counts; never field values, images or secrets. */
  status(now = Date.now()): GatewayStatus {
    return this.p.status(now);
  }

  /** Whether a device is online as the status page shows it (without asking for previews, as the page does). */
  deviceOnline(id: string): boolean {
    return this.p.devicesNow().some((d) => d.id === id && d.online);
  }

  /** Records every device's open window now, cut short, and waits until it is on disk. */
  recordWindowsNow(): Promise<void> {
    return this.p.decisions.recordWindowsNow();
  }

  /** Closes each session whose credential no longer counts (run on each registry change and once a minute). */
  disconnectStaleCredentials(now = Date.now()): void {
    this.p.broker.disconnectStaleCredentials(now);
  }

  /** Stops accepting, finishes queued work, records the stop and closes every file. Idempotent. */
  async stop(): Promise<void> {
    const first = !this.life.stopping;
    await this.life.close();
    if (first) this.p.log.info('gateway stopped');
  }
}
