import { z } from 'zod';
import { FleetPolicyMessage, GatewayHealth, PolicyStatus, UPSTREAM_RECORD_SCHEMAS } from '../../devices/index.ts';
import { Policy } from '../../policies/index.ts';
import { SignedHeadSchema } from '../4-records/audit/index.ts';
import { GatewayConfig } from '../foundation/config/index.ts';

/** The published JSON Schemas, by path in the repository. */
export const SCHEMA_FILES: Record<string, () => unknown> = {
  'docs/schema/gateway.schema.json': () => ({
    title: 'veilgate gateway config',
    ...z.toJSONSchema(GatewayConfig, { io: 'input' }),
  }),
  'docs/schema/policy.schema.json': () => ({ title: 'veilgate policy', ...z.toJSONSchema(Policy, { io: 'input' }) }),
  ...Object.fromEntries(
    Object.entries(UPSTREAM_RECORD_SCHEMAS).map(([type, schema]) => [
      `docs/schema/records/${type}.schema.json`,
      () => ({ title: `veilgate upstream ${type} record`, ...z.toJSONSchema(schema) }),
    ]),
  ),
  'docs/schema/records/audit-head.schema.json': () => ({
    title: 'veilgate signed audit head (audit-head, retained, and audit-heads, every one)',
    ...z.toJSONSchema(SignedHeadSchema),
  }),
  'docs/schema/records/policy-status.schema.json': () => ({
    title: 'veilgate policy status (policy-status, retained): what a gateway did with the last fleet policy',
    ...z.toJSONSchema(PolicyStatus),
  }),
  'docs/schema/records/health.schema.json': () => ({
    title: "veilgate gateway health (health, retained): backlog, devices and warnings, for the agency's fleet view",
    ...z.toJSONSchema(GatewayHealth),
  }),
  'docs/schema/records/fleet-policy.schema.json': () => ({
    title:
      'veilgate fleet policy (fleet/policies/{to}, retained): a signed policy the agency publishes to its gateways',
    ...z.toJSONSchema(FleetPolicyMessage),
  }),
};
