import {
  formatSourceError,
  policyRef,
  policyWarnings,
  positionOf,
  RateLimits,
  type LoadedPolicy,
  type SourceError,
} from '../../../policies/index.ts';
import type { PolicySignature } from '../../../devices/index.ts';
import { archivePolicy, type AuditLog } from '../../4-records/audit/index.ts';
import type { Logger } from '../../foundation/log.ts';
import { readPolicyFile } from './file.ts';

/** Where the policy in force came from: the local file, or the agency's broker, signed by a trusted key. */
export type PolicyOrigin = { source: 'file' } | { source: 'fleet'; signature: PolicySignature; to: string };

/** The policy in force and the rate-limit state that belongs to this activation of it. */
export interface PolicyInForce {
  loaded: LoadedPolicy;
  limits: RateLimits;
  origin: PolicyOrigin;
}

export type LoadOutcome =
  | { outcome: 'activated'; policy: LoadedPolicy }
  | { outcome: 'unchanged' }
  | { outcome: 'rejected'; errors: SourceError[] }
  /** a signed policy from the agency is in force: the local file does not replace it */
  | { outcome: 'ignored' };

const MAX_RULES_TO_ANALYSE = 40;

/**
 * Holds the active policy. Swapping is one assignment, so a decision sees either the old policy or
 * the new one, never a mix (decide() reads it once). An invalid file never replaces a valid policy:
 * the previous one stays in force (the last-good rule), and at start-up with no valid file nothing
 * is in force, so nothing leaves.
 */
export class ActivePolicy {
  private current: PolicyInForce | null = null;

  constructor(
    readonly file: string,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  get inForce(): PolicyInForce | null {
    return this.current;
  }

  async load(trigger: 'start' | 'file-changed' | 'signal' | 'command'): Promise<LoadOutcome> {
    if (this.current?.origin.source === 'fleet') {
      const { id, version } = this.current.loaded.policy;
      this.log.warn(
        { policy: this.file, trigger },
        `the local policy file is not read: ${id} v${version}, signed and published by the agency, is in force`,
      );
      return { outcome: 'ignored' };
    }
    const r = await readPolicyFile(this.file);
    const previous = this.current?.loaded ?? null;
    if (r.ok && previous?.sha256 === r.value.sha256) return { outcome: 'unchanged' };
    const errors = r.ok ? sameVersionChanged(previous, r.value, r.text) : r.errors;
    if (errors.length > 0) {
      for (const e of errors) this.log.error(formatSourceError(e));
      this.log.error(
        { policy: this.file, trigger },
        previous
          ? `policy file rejected: ${previous.policy.id} v${previous.policy.version} stays in force`
          : 'no valid policy: nothing will be forwarded until the policy file is fixed',
      );
      await this.reject(
        this.file,
        trigger,
        errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.message}`),
      );
      return { outcome: 'rejected', errors };
    }
    const { value: loaded, text } = r as { ok: true; value: LoadedPolicy; text: string };
    await this.activate(loaded, text, { source: 'file' }, trigger);
    return { outcome: 'activated', policy: loaded };
  }

  /** Records that a policy was refused; the one in force (if any) stays. */
  async reject(source: string, trigger: string, errors: string[], signedBy?: string): Promise<void> {
    const previous = this.current?.loaded ?? null;
    await this.audit.record({
      type: 'policy-rejected',
      source,
      trigger,
      errors: errors.slice(0, 20).map((e) => e.slice(0, 300)),
      kept: previous ? policyRef(previous) : null,
      ...(signedBy ? { signedBy } : {}),
    });
  }

  /** Puts a checked policy in force in one assignment, archived and audited first. */
  async activate(loaded: LoadedPolicy, text: string, origin: PolicyOrigin, trigger: string): Promise<void> {
    const previous = this.current?.loaded ?? null;
    const source = origin.source === 'file' ? this.file : `fleet:${origin.to}`;
    // kept by its sha256 beside the audit log, so a report can say in words what each cited version allowed
    await archivePolicy(this.audit.dir, loaded.sha256, text);
    this.current = { loaded, limits: new RateLimits(), origin };
    await this.audit.record({
      type: 'policy-activated',
      policy: policyRef(loaded),
      previous: previous ? policyRef(previous) : null,
      source,
      trigger,
      ...(origin.source === 'fleet' ? { signedBy: origin.signature.key } : {}),
    });
    this.log.info({ ...policyRef(loaded), trigger, source }, 'policy active');
    // the overlap analysis grows with the square of the patterns: past a few dozen rules it would
    // hold up the broker, so the privacy officer's `policy check` is where large policies get it
    if (loaded.policy.rules.length <= MAX_RULES_TO_ANALYSE)
      for (const w of policyWarnings(loaded.policy, text, source)) this.log.warn(formatSourceError(w));
  }
}

/** A changed file that keeps its id and version would make two different policies indistinguishable in the record. */
function sameVersionChanged(previous: LoadedPolicy | null, next: LoadedPolicy, text: string): SourceError[] {
  if (!previous || previous.policy.id !== next.policy.id || previous.policy.version !== next.policy.version) return [];
  return [
    {
      file: next.source,
      ...positionOf(text, ['version']),
      path: 'version',
      message: `the file changed but its version is still ${next.policy.version}`,
      hint: `increase version (to ${next.policy.version + 1}) so every decision names exactly the policy that made it`,
    },
  ];
}
