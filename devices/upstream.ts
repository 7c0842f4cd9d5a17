import { z } from 'zod';
import { Location } from './events.ts';
import { RECORD_FIELDS, type FieldKind, type RecordType } from './records.ts';

/**
 * The contract with the agency's systems: what every record that leaves a gateway looks like.
 * Bumped on any change a consumer must know of; `docs/schema/records/` is generated from these.
 */
export const UPSTREAM_SCHEMA_VERSION = 1;

/** A field as it may leave: its value after the policy's transforms (a count may leave as "<3" or "5-9"). */
const LEAVING: Record<FieldKind, z.ZodType> = {
  time: z.iso.datetime({ offset: true }).describe('ISO 8601, possibly rounded down (roundTo)'),
  count: z
    .union([z.number().int().min(0), z.string().regex(/^(<\d+|\d+|\d+-\d+|\d+\+)$/)])
    .describe('a whole number, or "<N" (suppressBelow), "N-M" or "N+" (bucket)'),
  number: z.number(),
  boolean: z.boolean(),
  label: z.string().describe('a word from a fixed list, or "h:" and 20 hex digits (hash)'),
  location: Location.describe('as the device sent it, or the centre of a grid cell without accuracy (coarsenMeters)'),
  identifier: z.string().describe('"h:" and 20 hex digits when hashed'),
  detections: z.array(z.record(z.string(), z.unknown())),
  image: z.string().describe('a redacted JPEG, base64'),
};

export const PolicyRef = z.strictObject({
  id: z.string().min(1),
  version: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** One record type's upstream record: the envelope, and only the fields the policy let out. */
export function upstreamRecordSchema(recordType: RecordType) {
  const fields = Object.fromEntries(
    Object.entries(RECORD_FIELDS[recordType]).map(([name, kind]) => [name, LEAVING[kind as FieldKind].optional()]),
  );
  return z.strictObject({
    schemaVersion: z.literal(UPSTREAM_SCHEMA_VERSION),
    id: z.string().min(1).describe('unique per record: a consumer de-duplicates on it (QoS 1 may deliver twice)'),
    gatewayId: z.string().min(1),
    deviceId: z.string().min(1),
    recordType: z.literal(recordType),
    policy: PolicyRef.describe('the policy that let the record out'),
    fields: z.strictObject(fields).describe('only the fields the policy allowed, transformed as it says'),
  });
}

export const UPSTREAM_RECORD_SCHEMAS = Object.fromEntries(
  (Object.keys(RECORD_FIELDS) as RecordType[]).map((t) => [t, upstreamRecordSchema(t)]),
) as { [T in RecordType]: ReturnType<typeof upstreamRecordSchema> };
