import { z } from 'zod';
import { DeviceKind, RECORD_TYPES } from '../devices/index.ts';

const Field = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field name is letters, digits and _');

const RoundTo = z.enum(['second', 'minute', 'hour', 'day']);

export const Transform = z.strictObject({
  roundTo: RoundTo.optional().describe('round an ISO timestamp down to this unit'),
});
export type Transform = z.infer<typeof Transform>;

export const RuleMatch = z.strictObject({
  deviceKinds: z.array(DeviceKind).min(1).optional().describe('device kinds this rule applies to; all when absent'),
  devices: z
    .array(z.string().regex(/^[A-Za-z0-9_.*-]+$/, 'a device pattern is a device id, * matching any characters'))
    .min(1)
    .optional()
    .describe('device id patterns (`*` matches any characters); all devices when absent'),
  recordTypes: z
    .array(z.string().refine((t) => RECORD_TYPES.includes(t), { message: `a record type is one of: ${RECORD_TYPES.join(', ')}` }))
    .min(1)
    .describe('record types this rule applies to'),
});

export const Rule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id is lower-case letters, digits and -'),
  description: z.string().optional(),
  match: RuleMatch,
  allow: z.array(Field).describe('the fields that may leave (an allow-list: every other field is dropped)'),
  transforms: z.record(Field, Transform).optional().describe('per-field transforms applied before forwarding'),
});
export type Rule = z.infer<typeof Rule>;

export const CountsSettings = z.strictObject({
  intervalSeconds: z.number().int().min(1).max(86_400).default(10).describe('length of a counting window'),
  classes: z
    .array(z.enum(['person', 'vehicle', 'face', 'text']))
    .min(1)
    .default(['person', 'vehicle'])
    .describe('object classes counted per camera'),
});

export const Policy = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a policy id is lower-case letters, digits and -'),
  version: z.number().int().min(1).describe('increase on every change'),
  title: z.string().min(1),
  description: z.string().optional(),
  owner: z.string().optional().describe('who is responsible for this policy'),
  counts: CountsSettings.prefault({}).describe('how camera observations are aggregated into counts records'),
  rules: z.array(Rule).describe('what may leave; anything no rule allows is withheld'),
});
export type Policy = z.infer<typeof Policy>;
