import type { AuditEntry } from '../../4-records/audit/index.ts';
import type { GatewayStatus } from './status.ts';

const MAX_DECISIONS = 30;
const MAX_POLICY_EVENTS = 20;

/**
 * The status page's memory of recent audit entries: the newest decision of each kind (device,
 * record type, outcome), so one busy camera's per-frame withholds do not push everything else
 * off the page, and the policy events since start. Bounded; fed by AuditLog.onRecord and each decision as it is made.
 */
export class RecentActivity {
  private readonly decisions = new Map<string, GatewayStatus['recent'][number]>();
  private readonly policy: GatewayStatus['policyHistory'] = [];

  see(e: AuditEntry): void {
    const ev = e.event;
    if (ev.type === 'policy-activated') {
      this.addPolicy({
        at: e.at,
        outcome: 'activated',
        policy: `${ev.policy.id} v${ev.policy.version}`,
        trigger: ev.trigger,
      });
    } else if (ev.type === 'policy-rejected') {
      const kept = ev.kept ? `${ev.kept.id} v${ev.kept.version} stays in force` : 'nothing in force';
      this.addPolicy({
        at: e.at,
        outcome: 'rejected',
        policy: ev.source.split('/').at(-1) ?? ev.source,
        trigger: ev.trigger,
        detail: `${ev.errors.length} error(s); ${kept}`,
      });
    }
  }

  /** Each decision as it is made (most are recorded in the audit log only as counts, when their window ends). */
  seeDecision(
    at: string,
    deviceId: string,
    d: { recordType: string; action: 'forward' | 'withhold'; rules: string[]; reason?: string | undefined },
  ): void {
    const key = `${deviceId}\0${d.recordType}\0${d.action}\0${d.reason ?? ''}`;
    this.decisions.delete(key);
    this.decisions.set(key, {
      at,
      deviceId,
      recordType: d.recordType,
      action: d.action,
      rules: d.rules,
      reason: d.reason ?? null,
    });
    if (this.decisions.size > MAX_DECISIONS) this.decisions.delete(this.decisions.keys().next().value!);
  }

  private addPolicy(p: GatewayStatus['policyHistory'][number]): void {
    this.policy.unshift(p);
    this.policy.length = Math.min(this.policy.length, MAX_POLICY_EVENTS);
  }

  recent(): GatewayStatus['recent'] {
    return [...this.decisions.values()].reverse();
  }

  policyHistory(): GatewayStatus['policyHistory'] {
    return [...this.policy];
  }
}
