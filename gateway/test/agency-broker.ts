import { PolicyStatus } from '../../devices/index.ts';
import { startEmbeddedUpstream, type ReceivedRecord } from '../operations/embedded-upstream.ts';
import { contractViolation } from './upstream-contract.ts';

/** The agency's broker for fleet tests: keeps what is retained, and checks every message against the contract. */
export async function agencyBroker() {
  const seen: ReceivedRecord[] = [];
  const violations: string[] = [];
  const up = await startEmbeddedUpstream('veilgate', (r) => {
    seen.push(r);
    const v = contractViolation('veilgate', r.topic, r.payload);
    if (v) violations.push(v);
  });
  const statuses = (gatewayId: string) =>
    seen
      .filter((r) => r.topic === `veilgate/${gatewayId}/policy-status`)
      .map((r) => PolicyStatus.parse(JSON.parse(r.payload.toString('utf8'))));
  let stopped: Promise<void> | null = null;
  return { url: up.url, stop: () => (stopped ??= up.stop()), seen, violations, statuses };
}
