import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash, type KeyObject } from 'node:crypto';
import {
  FleetPolicyMessage,
  UPSTREAM_SCHEMA_VERSION,
  type PolicySignature,
  type PolicyStatus,
} from '../../../devices/index.ts';
import { globMatches, parsePolicy, policyRef, type LoadedPolicy } from '../../../policies/index.ts';
import type { Logger } from '../../foundation/log.ts';
import { replaceFile } from '../../foundation/storage/replace-file.ts';
import { DamagedFileError, readStateFile } from '../../foundation/storage/state-file.ts';
import type { ActivePolicy, PolicyInForce } from './active.ts';
import { signatureProblem } from './signature.ts';

const MAX_REMEMBERED_REFUSALS = 1000;

/** Where the fleet policy in force is kept, as received: it stays in force across restarts, uplink or not. */
export function fleetPolicyFile(dataDir: string): string {
  return join(dataDir, 'policy', 'fleet.json');
}

/**
 * Takes signed policies from the agency's broker. One is put in force only when it is addressed to
 * this gateway, signed by a trusted key, a valid policy (as `policy check` sees it) and newer than
 * the one in force; otherwise it is refused, audited, and the policy in force stays. Every outcome
 * is reported upstream (policy-status), so the agency sees its fleet.
 */
export class FleetPolicy {
  private last: PolicyStatus;
  /** refusals already audited in this run: a retained policy comes again on every reconnect */
  private readonly refused = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  onStatus: ((s: PolicyStatus) => void) | null = null;

  constructor(
    private readonly gatewayId: string,
    private readonly dataDir: string,
    private readonly active: ActivePolicy,
    private readonly trusted: ReadonlyMap<string, KeyObject>,
    private readonly log: Logger,
  ) {
    this.last = this.statusOf('in-force', null, null);
  }

  get status(): PolicyStatus {
    return this.last;
  }

  /**
   * At start, before the local file: the stored fleet policy, checked again as if it had just
   * come (a key may have been removed from the config since). False when there is none to use.
   */
  async restore(): Promise<boolean> {
    const file = fleetPolicyFile(this.dataDir);
    let stored: FleetPolicyMessage | null;
    try {
      stored = await readStateFile(
        file,
        FleetPolicyMessage,
        'the agency broker sends the policy again on the next connection',
      );
    } catch (e) {
      if (!(e instanceof DamagedFileError)) throw e;
      this.log.error({ file }, `${e.message}; the local policy file is used until then`);
      return false;
    }
    if (!stored) return false;
    const r = this.check(stored);
    if (!r.ok) {
      this.log.error(
        { file, reason: r.reason },
        'the stored fleet policy is no longer accepted; the local policy file is used',
      );
      await this.active.reject(`fleet:${stored.to}`, 'start', [r.reason], stored.signature.key);
      return false;
    }
    await this.active.activate(
      r.loaded,
      stored.policy,
      { source: 'fleet', signature: stored.signature, to: stored.to },
      'start',
    );
    this.last = this.statusOf('in-force', null, null);
    return true;
  }

  /** A message on the fleet topic, one at a time in arrival order. Never throws for what the message holds. */
  offer(payload: Buffer): Promise<void> {
    const next = this.queue.then(() => this.take(payload));
    this.queue = next.catch(() => {});
    return next;
  }

  private async take(payload: Buffer): Promise<void> {
    // an empty retained message withdraws a publication; it does not change what is in force
    if (payload.length === 0) return;
    let msg: FleetPolicyMessage;
    try {
      const parsed = FleetPolicyMessage.safeParse(JSON.parse(payload.toString('utf8')));
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        return await this.refuse(
          payload,
          `not a fleet policy message: ${i.path.join('.') || 'the message'}: ${i.message}`,
          null,
        );
      }
      msg = parsed.data;
    } catch {
      return await this.refuse(payload, 'not a fleet policy message: not JSON', null);
    }
    if (!globMatches(msg.to, this.gatewayId)) return;
    const inForce = this.active.inForce;
    // the text's own hash, not the one the signature claims: a changed text must not pass for the policy in force
    const sha256 = createHash('sha256').update(msg.policy).digest('hex');
    if (inForce?.loaded.sha256 === sha256 && sha256 === msg.signature.sha256 && inForce.origin.source === 'fleet') {
      this.publish(this.statusOf('in-force', msg, null));
      return;
    }
    const r = this.check(msg);
    if (!r.ok) return await this.refuse(payload, r.reason, msg);
    try {
      await mkdir(dirname(fleetPolicyFile(this.dataDir)), { recursive: true });
      await replaceFile(fleetPolicyFile(this.dataDir), JSON.stringify(msg));
    } catch (e) {
      return await this.refuse(payload, `cannot store it under dataDir: ${(e as Error).message}`, msg);
    }
    await this.active.activate(
      r.loaded,
      msg.policy,
      { source: 'fleet', signature: msg.signature, to: msg.to },
      'fleet',
    );
    this.publish(this.statusOf('activated', msg, null));
  }

  /** Whether a message's policy may go in force here: signed, valid, newer. */
  private check(msg: FleetPolicyMessage): { ok: true; loaded: LoadedPolicy } | { ok: false; reason: string } {
    const bad = signatureProblem(msg.policy, msg.signature, this.trusted);
    if (bad) return { ok: false, reason: bad };
    const parsed = parsePolicy(msg.policy, `fleet:${msg.to}`);
    if (!parsed.ok) {
      const shown = parsed.errors.slice(0, 3).map((e) => `${e.line}:${e.column} ${e.path} ${e.message}`);
      return { ok: false, reason: `not a valid policy (${parsed.errors.length} error(s)): ${shown.join('; ')}` };
    }
    const { id, version } = parsed.value.policy;
    if (id !== msg.signature.policy.id || version !== msg.signature.policy.version)
      return {
        ok: false,
        reason: `the signature names ${msg.signature.policy.id} v${msg.signature.policy.version}, the file ${id} v${version}`,
      };
    const stale = staleness(parsed.value, msg.signature, this.active.inForce);
    return stale ? { ok: false, reason: stale } : { ok: true, loaded: parsed.value };
  }

  private async refuse(payload: Buffer, reason: string, msg: FleetPolicyMessage | null): Promise<void> {
    const key = `${msg?.signature.sha256 ?? payload.length}|${reason}`;
    if (!this.refused.has(key)) {
      // bounded: whoever may publish on the fleet topic could otherwise grow it without end
      if (this.refused.size >= MAX_REMEMBERED_REFUSALS) this.refused.clear();
      this.refused.add(key);
      const kept = this.active.inForce?.loaded.policy;
      this.log.warn(
        {
          to: msg?.to,
          policy: msg ? `${msg.signature.policy.id} v${msg.signature.policy.version}` : undefined,
          reason,
        },
        `fleet policy refused; ${kept ? `${kept.id} v${kept.version} stays in force` : 'no policy is in force'}`,
      );
      await this.active.reject(`fleet:${msg?.to ?? '?'}`, 'fleet', [reason], msg?.signature.key);
    }
    this.publish(this.statusOf('rejected', msg, reason));
  }

  /** The policy in force changed another way (the local file): the status says so. */
  refresh(): void {
    this.publish({
      ...this.last,
      at: new Date().toISOString(),
      inForce: this.statusOf('in-force', null, null).inForce,
    });
  }

  private publish(s: PolicyStatus): void {
    this.last = s;
    this.onStatus?.(s);
  }

  private statusOf(
    outcome: PolicyStatus['outcome'],
    msg: FleetPolicyMessage | null,
    reason: string | null,
  ): PolicyStatus {
    const f = this.active.inForce;
    return {
      schemaVersion: UPSTREAM_SCHEMA_VERSION,
      gatewayId: this.gatewayId,
      at: new Date().toISOString(),
      outcome,
      offered: msg
        ? { ...msg.signature.policy, sha256: msg.signature.sha256, to: msg.to, signedBy: msg.signature.key }
        : null,
      reason,
      inForce: f
        ? {
            ...policyRef(f.loaded),
            source: f.origin.source,
            ...(f.origin.source === 'fleet'
              ? { signedBy: f.origin.signature.key, signedAt: f.origin.signature.signedAt }
              : {}),
          }
        : null,
    };
  }
}

/**
 * Why an offered policy is not newer than the one in force, or null. Newer means signed later than
 * a fleet policy in force, and with a higher version when it has the same id (whatever its
 * source): an old signed policy sent again, or an old version signed again, never rolls a gateway back.
 */
export function staleness(offered: LoadedPolicy, sig: PolicySignature, inForce: PolicyInForce | null): string | null {
  if (!inForce || offered.sha256 === inForce.loaded.sha256) return null;
  const cur = inForce.loaded.policy;
  const { id, version } = offered.policy;
  if (id === cur.id && version <= cur.version)
    return `${id} v${version} is not newer than v${cur.version}, which is in force`;
  if (inForce.origin.source === 'fleet' && Date.parse(sig.signedAt) <= Date.parse(inForce.origin.signature.signedAt))
    return `${id} v${version} was signed at ${sig.signedAt}, not after ${cur.id} v${cur.version} in force (signed at ${inForce.origin.signature.signedAt})`;
  return null;
}
