import { z } from 'zod';
import { Policy } from '../policies/index.ts';
import { GatewayConfig } from './config/index.ts';

/** The published JSON Schemas, by path in the repository. */
export const SCHEMA_FILES: Record<string, () => unknown> = {
  'docs/schema/gateway.schema.json': () => ({
    title: 'veilgate gateway config',
    ...z.toJSONSchema(GatewayConfig, { io: 'input' }),
  }),
  'docs/schema/policy.schema.json': () => ({ title: 'veilgate policy', ...z.toJSONSchema(Policy, { io: 'input' }) }),
};
