import { z } from 'zod';

/**
 * What the gateway reads back of an upstream record it queued (audit recovery): the published
 * contract is `UPSTREAM_RECORD_SCHEMAS` in devices/upstream.ts; this also reads records queued by
 * a version before `schemaVersion` and `gatewayId` were in the envelope.
 */
export const UpstreamRecordSchema = z.object({
  schemaVersion: z.number().optional(),
  id: z.string(),
  gatewayId: z.string().optional(),
  deviceId: z.string(),
  recordType: z.string(),
  policy: z.object({ id: z.string(), version: z.number(), sha256: z.string() }),
  fields: z.record(z.string(), z.unknown()),
});
export type UpstreamRecord = z.infer<typeof UpstreamRecordSchema>;
