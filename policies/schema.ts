import { z } from 'zod';
import { DeviceKind, RECORD_TYPES } from '../devices/index.ts';
import { closest } from './spelling.ts';
import { checkRuleFields } from './vocabulary.ts';

const Field = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field name is letters, digits and _');
const Slug = (what: string) => z.string().regex(/^[a-z0-9][a-z0-9-]*$/, `${what} is lower-case letters, digits and -`);
const Pattern = z
  .string()
  .regex(/^[A-Za-z0-9_.*-]+$/, 'a pattern is letters, digits, _ . - and * (matching any characters)');
const DateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'a date is YYYY-MM-DD, or a time like 2026-12-01T08:00:00Z',
});

export const RoundTo = z.enum(['second', 'minute', 'hour', 'day']);

export const Transform = z
  .strictObject({
    roundTo: RoundTo.optional().describe('time fields: round down to this unit'),
    coarsenMeters: z
      .number()
      .int()
      .min(10)
      .max(100_000)
      .optional()
      .describe('location fields: snap to the centre of a grid cell this many metres wide'),
    suppressBelow: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('count fields: a value below this is sent as "<N", so small groups are not singled out'),
    bucket: z
      .array(z.number().int().min(0))
      .min(2)
      .optional()
      .refine(
        (b) => !b || (b[0] === 0 && b.every((v, i) => i === 0 || v > b[i - 1]!)),
        'bucket edges start at 0 and increase, e.g. [0, 1, 5, 10, 50]',
      )
      .describe('count fields: send the range the value falls in ("5-9", "50+") instead of the value'),
    hash: z
      .literal(true)
      .optional()
      .describe('identifier fields: send a keyed hash (HMAC-SHA256 with the deployment salt) instead of the value'),
  })
  .refine(
    (t) => Object.keys(t).length > 0,
    'a transform needs at least one of roundTo, coarsenMeters, suppressBelow, bucket, hash',
  );
export type Transform = z.infer<typeof Transform>;

const Clock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time of day is HH:MM, 00:00 to 24:00');
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const TimeWindow = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).optional().describe('days of the week; every day when absent'),
  from: Clock.describe("start, local time of the policy's timezone"),
  to: Clock.describe('end (exclusive); earlier than from means the window runs past midnight'),
});
export type TimeWindow = z.infer<typeof TimeWindow>;

export const RuleMatch = z.strictObject({
  recordTypes: z
    .array(
      z
        .string()
        .refine((t) => RECORD_TYPES.includes(t), { message: `a record type is one of: ${RECORD_TYPES.join(', ')}` }),
    )
    .min(1)
    .describe('record types this rule applies to'),
  deviceKinds: z.array(DeviceKind).min(1).optional().describe('device kinds this rule applies to; all when absent'),
  devices: z
    .array(Pattern)
    .min(1)
    .optional()
    .describe('device id patterns (`*` matches any characters); all devices when absent'),
  zones: z
    .array(Pattern)
    .min(1)
    .optional()
    .describe('zone patterns a device is registered in; when present, devices without a zone never match'),
  times: z
    .array(TimeWindow)
    .min(1)
    .optional()
    .describe("when (by the gateway's clock) this rule applies; always when absent"),
});
export type RuleMatch = z.infer<typeof RuleMatch>;

export const RateLimit = z.strictObject({
  max: z.number().int().min(1).max(1_000_000).describe('records per device'),
  perSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400 * 7),
});
export type RateLimit = z.infer<typeof RateLimit>;

export const Rule = z
  .strictObject({
    id: Slug('a rule id'),
    description: z.string().optional().describe('why this rule exists, in plain words'),
    match: RuleMatch,
    extends: z
      .array(Slug('a rule id'))
      .min(1)
      .optional()
      .describe(
        'ids of broader rules this rule extends: where both apply, the fields this rule allows leave even if those rules do not allow them (their transforms and rate limits still apply)',
      ),
    allow: z.array(Field).min(1).describe('the fields that may leave (an allow-list: every other field is dropped)'),
    transforms: z.record(Field, Transform).optional().describe('per-field transforms applied before forwarding'),
    rateLimit: RateLimit.optional().describe('at most this many records per device; more are withheld (RATE_LIMITED)'),
  })
  // on the rule, not the policy: zod runs it for every well-formed rule even when another rule has errors
  .superRefine((r, ctx) => {
    for (const issue of checkRuleFields(r)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
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

const RedactChoiceSchema = z.strictObject({
  method: z
    .enum(['pixelate', 'blur', 'fill'])
    .default('pixelate')
    .describe('how the region is obscured; there is no "none"'),
  strength: z.number().int().min(1).max(5).default(1).describe('1 (already unrecognisable) to 5 (coarsest)'),
  marginPercent: z.number().min(0).max(100).default(20).describe('grow each region by this much on every side'),
});
const PersonRedactChoice = RedactChoiceSchema.extend({
  region: z.enum(['head', 'body']).default('head').describe('redact the head band of each person, or the whole body'),
});

export const VisionSettings = z.strictObject({
  redact: z
    .strictObject({
      face: RedactChoiceSchema.prefault({}).describe('detected faces'),
      person: PersonRedactChoice.prefault({}).describe(
        'every detected person (faces on CCTV are too small to detect reliably)',
      ),
      text: RedactChoiceSchema.prefault({}).describe('text and licence plates'),
    })
    .prefault({}),
  snapshots: z
    .strictObject({
      leave: z
        .boolean()
        .default(false)
        .describe('whether redacted snapshots may leave at all; a rule must also allow the snapshot record type'),
      everySeconds: z
        .number()
        .int()
        .min(10)
        .max(86_400)
        .default(300)
        .describe('at most one snapshot per camera this often'),
      maxWidth: z.number().int().min(160).max(1920).default(640),
    })
    .prefault({}),
  localPreview: z
    .boolean()
    .default(false)
    .describe(
      "show each camera's latest redacted frame on the gateway's own status page (login required beyond loopback); a raw frame never",
    ),
});
export type VisionSettings = z.infer<typeof VisionSettings>;
export type RedactChoice = z.infer<typeof RedactChoiceSchema>;
/** What the vision pipeline does when no policy is in force (nothing leaves then, but frames are still redacted). */
export const DEFAULT_VISION: VisionSettings = VisionSettings.parse({});

export const Approval = z.strictObject({
  name: z.string().min(1),
  role: z.string().optional(),
  date: z.iso.date({ error: 'a date is YYYY-MM-DD' }),
});

export const Policy = z
  .strictObject({
    id: Slug('a policy id'),
    version: z.number().int().min(1).describe('increase on every change'),
    title: z.string().min(1),
    description: z.string().optional(),
    owner: z.string().optional().describe('who is responsible for this policy'),
    approvedBy: z.array(Approval).optional().describe('who approved this version, and when'),
    effective: z
      .strictObject({ from: DateOrTime.optional(), until: DateOrTime.optional() })
      .optional()
      .describe('outside these dates the policy forwards nothing (POLICY_NOT_EFFECTIVE); dates are UTC midnight'),
    timezone: z
      .string()
      .default('UTC')
      .refine(isTimeZone, 'not a time zone: use an IANA name such as Europe/London or UTC')
      .describe('the time zone of rule time windows'),
    counts: CountsSettings.prefault({}).describe('how camera observations are aggregated into counts records'),
    vision: VisionSettings.prefault({}).describe(
      'how the vision pipeline redacts, and whether redacted snapshots may leave',
    ),
    rules: z.array(Rule).describe('what may leave; anything no rule allows is withheld'),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `rule id "${r.id}" is used twice` });
      seen.add(r.id);
      r.extends?.forEach((target, j) => {
        const message = extendsProblem(p.rules, r, target);
        if (message) ctx.addIssue({ code: 'custom', path: ['rules', i, 'extends', j], message });
      });
      if (r.match.recordTypes.includes('snapshot') && r.allow.includes('jpeg') && !p.vision.snapshots.leave) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'allow'],
          message:
            'this rule lets snapshot images out, but vision.snapshots.leave is false, so none are made: set it to true deliberately, or remove jpeg',
        });
      }
    });
  });
export type Policy = z.infer<typeof Policy>;

function extendsProblem(rules: readonly Rule[], r: Rule, target: string): string | null {
  if (target === r.id) return `rule "${r.id}" cannot extend itself`;
  const other = rules.find((o) => o.id === target);
  if (!other) {
    const near = closest(
      target,
      rules.map((o) => o.id),
    );
    return `there is no rule "${target}"${near ? `: did you mean "${near}"?` : ''}`;
  }
  if (other.extends?.includes(r.id))
    return `rules "${r.id}" and "${target}" extend each other; only the narrower one should extend the broader`;
  return null;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
