import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import {
  DeviceKind,
  fieldKind,
  Location,
  RECORD_FIELDS,
  SensorEvent,
  type FieldKind,
  FIELD_KINDS,
} from '../devices/index.ts';
import { withZone, type Candidate } from './candidate.ts';
import { WITHHOLD_REASONS, type Decision } from './decision.ts';
import { evaluate } from './evaluate.ts';
import { RateLimits } from './rate-limits.ts';
import type { Policy } from './schema.ts';
import { parseYamlAgainst, type Parsed } from './yaml-source.ts';

/** What a value of each field kind looks like, for inputs that have no device schema (camera records). */
const VALUE: Record<FieldKind, z.ZodType> = {
  time: z.iso.datetime({ offset: true }),
  count: z.number().int().min(0),
  number: z.number(),
  boolean: z.boolean(),
  label: z.string(),
  location: Location,
  identifier: z.string(),
  detections: z.array(z.record(z.string(), z.unknown())),
  image: z.string(),
};

const Device = z.strictObject({
  id: z.string().min(1),
  kind: DeviceKind,
  zone: z.string().optional(),
});

/** One input the way the gateway would hand it to the policy. */
export const CaseInput = z
  .strictObject({
    device: Device,
    record: z
      .string()
      .refine(
        (t) => Object.hasOwn(RECORD_FIELDS, t),
        `a record type is one of: ${Object.keys(RECORD_FIELDS).join(', ')}`,
      ),
    fields: z.record(z.string(), z.unknown()),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("the gateway's clock when it decides; default: the at, windowEnd or windowStart field"),
  })
  .superRefine((c, ctx) => {
    for (const [name, value] of Object.entries(c.fields)) {
      const kind = fieldKind(c.record, name);
      if (!kind)
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name],
          message: `${c.record} records have no field "${name}"`,
        });
      else if (!VALUE[kind].safeParse(value).success)
        ctx.addIssue({ code: 'custom', path: ['fields', name], message: `"${name}" should be ${FIELD_KINDS[kind]}` });
    }
    if (c.device.kind === 'sensor') {
      const { zone: _zone, ...event } = c.fields;
      const r = SensorEvent.safeParse({ ...event, type: event.type ?? c.record });
      if (!r.success)
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: `not an event a sensor could send: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`,
        });
    }
    if (!c.at && typeof (c.fields.at ?? c.fields.windowEnd ?? c.fields.windowStart) !== 'string') {
      ctx.addIssue({
        code: 'custom',
        path: ['at'],
        message: 'give at: (when the gateway decides), or an at/windowEnd field',
      });
    }
  });
export type CaseInput = z.infer<typeof CaseInput>;

const Expect = z.union(
  [
    z.strictObject({ forward: z.record(z.string(), z.unknown()).describe('exactly the fields that must be sent') }),
    z.strictObject({ withhold: z.enum(Object.keys(WITHHOLD_REASONS) as [keyof typeof WITHHOLD_REASONS]) }),
  ],
  { error: 'expect is either forward: {fields...} or withhold: REASON' },
);

export const Case = z.strictObject({
  name: z.string().min(1),
  ...CaseInput.shape, // zod 4 keeps refinements off .shape: the input is re-checked in runCases
  preceding: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe('how many identical records came just before (rate limits)'),
  expect: Expect,
});
export type Case = z.infer<typeof Case>;

export const CaseFile = z.strictObject({
  policy: z.string().optional().describe('the policy these cases are for (informational)'),
  salt: z
    .string()
    .min(1)
    .default('policy-test-salt')
    .describe('the deployment salt hash transforms use in these cases'),
  cases: z.array(Case).min(1),
});
export type CaseFile = z.infer<typeof CaseFile>;

export function parseCaseFile(text: string, source: string): Parsed<CaseFile> {
  const parsed = parseYamlAgainst(CaseFile, text, source);
  if (!parsed.ok) return parsed;
  const errors = parsed.value.cases.flatMap((c, i) => {
    const r = CaseInput.safeParse({
      device: c.device,
      record: c.record,
      fields: c.fields,
      ...(c.at ? { at: c.at } : {}),
    });
    return r.success
      ? []
      : r.error.issues.map((issue) => ({
          file: source,
          line: 1,
          column: 1,
          path: `cases[${i}].${issue.path.join('.')}`,
          message: issue.message,
        }));
  });
  return errors.length > 0 ? { ok: false, errors: relocate(text, errors) } : parsed;
}

/** Puts refinement errors on the line of their case: `- name: ...` lines in file order. */
function relocate<E extends { path: string; line: number }>(text: string, errors: E[]): E[] {
  const caseLines = text.split('\n').flatMap((l, i) => (/^\s*-\s+name:/.test(l) ? [i + 1] : []));
  return errors.map((e) => ({ ...e, line: caseLines[Number(/^cases\[(\d+)\]/.exec(e.path)?.[1])] ?? 1 }));
}

export function toCandidate(c: CaseInput): { candidate: Candidate; now: number } {
  const f = c.fields;
  const at = c.at ?? ((f.at ?? f.windowEnd ?? f.windowStart) as string);
  return {
    candidate: withZone(
      { deviceId: c.device.id, deviceKind: c.device.kind, recordType: c.record, fields: f },
      c.device.zone,
    ),
    now: Date.parse(at),
  };
}

export interface CaseResult {
  name: string;
  ok: boolean;
  decision: Decision;
  expected: string;
  actual: string;
}

/** Runs each case against the policy with fresh rate-limit state. Pure. */
export function runCases(policy: Policy, file: CaseFile): CaseResult[] {
  return file.cases.map((c) => {
    const { candidate, now } = toCandidate(c);
    const env = { now, salt: file.salt, limits: new RateLimits() };
    for (let i = 0; i < c.preceding; i++) evaluate(policy, candidate, env);
    const decision = evaluate(policy, candidate, env);
    const ok =
      'forward' in c.expect
        ? decision.action === 'forward' && isDeepStrictEqual(decision.fields, c.expect.forward)
        : decision.action === 'withhold' && decision.reason === c.expect.withhold;
    const expected =
      'forward' in c.expect ? `forward ${JSON.stringify(c.expect.forward)}` : `withhold ${c.expect.withhold}`;
    return { name: c.name, ok, decision, expected, actual: describeDecision(decision) };
  });
}

export function describeDecision(d: Decision): string {
  return d.action === 'forward'
    ? `forward ${JSON.stringify(d.fields)} (rules ${d.rules.join(', ')})`
    : `withhold ${d.reason}: ${d.detail}`;
}
