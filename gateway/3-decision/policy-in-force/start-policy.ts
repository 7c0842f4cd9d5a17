import type { LoadedPolicy } from '../../../policies/index.ts';
import type { AuditLog } from '../../4-records/audit/index.ts';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import type { StorageFaults } from '../../foundation/storage/storage-faults.ts';
import { ActivePolicy, type LoadOutcome } from './active.ts';
import { FleetPolicy } from './fleet.ts';
import { deploymentSalt } from './salt.ts';
import { readTrustedKeys } from './signature.ts';
import { watchFile } from '../../foundation/watch-file.ts';

export type ReloadTrigger = 'file-changed' | 'signal' | 'command';

/** The policy in force and where it comes from: the local file, or signed policies from the agency. */
export class PolicyPart {
  private closed = false;

  private constructor(
    private readonly file: string,
    readonly active: ActivePolicy,
    /** signed policies from the agency's broker; null when the config trusts no keys */
    readonly fleet: FleetPolicy | null,
    /** the key of hash transforms */
    readonly salt: string,
    private readonly faults: StorageFaults,
  ) {}

  /**
   * Puts the policy in force before anything listens (an event accepted before would be decided with
   * no policy): the stored fleet policy if there is one, else the file.
   */
  static async start(
    cfg: Readonly<GatewayConfig>,
    audit: AuditLog,
    log: Logger,
    faults: StorageFaults,
  ): Promise<PolicyPart> {
    const salt = await deploymentSalt(cfg.dataDir);
    const active = new ActivePolicy(cfg.policy.file, audit, log.child({ module: 'policy' }));
    const fleet = await openFleetPolicy(cfg, active, log.child({ module: 'fleet' }));
    if (!(await fleet?.restore())) await active.load('start');
    return new PolicyPart(cfg.policy.file, active, fleet, salt, faults);
  }

  /**
   * Watches the file: a valid new version takes effect at once, an invalid one is logged and ignored.
   * Started once the gateway runs, and closed first when it stops, so nothing is reloaded after the stop.
   */
  watch(): Close {
    const w = watchFile(this.file, () => void this.reload('file-changed'));
    return () => {
      this.closed = true;
      w.close();
    };
  }

  /** The policy in force, or null: then nothing is forwarded. */
  get policy(): LoadedPolicy | null {
    return this.active.inForce?.loaded ?? null;
  }

  /** Re-reads the policy file (on change, SIGHUP or request). Never throws: a failure keeps the policy in force. */
  async reload(trigger: ReloadTrigger): Promise<LoadOutcome | null> {
    if (this.closed) return null;
    try {
      const r = await this.active.load(trigger);
      if (r.outcome === 'activated') this.fleet?.refresh();
      return r;
    } catch (e) {
      this.faults.failed(e as Error);
      return null;
    }
  }

  /** The status page's policy section. */
  status(): {
    id: string;
    version: number;
    sha256: string;
    title: string;
    source: string;
    localPreview: boolean;
  } | null {
    const p = this.policy;
    if (!p) return null;
    const { id, version, title, vision } = p.policy;
    return { id, version, sha256: p.sha256, title, source: p.source, localPreview: vision.localPreview };
  }

  warnings(): string[] {
    return this.policy ? [] : ['No valid policy is in force: nothing is forwarded.'];
  }
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
