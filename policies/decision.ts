/** Stable reason codes for withheld records: they appear in the audit log and the report. */
export const WITHHOLD_REASONS = {
  NO_POLICY: 'no valid policy is active',
  POLICY_NOT_EFFECTIVE: 'the policy is not in effect at this time (see its effective dates)',
  NO_RULE: 'no rule allows this record type from this device at this time',
  NOTHING_ALLOWED: "the matching rules allow none of this record's fields",
  RATE_LIMITED: "a matching rule's rate limit for this device is used up",
} as const;
export type WithholdReason = keyof typeof WITHHOLD_REASONS;

export type Decision =
  | { action: 'forward'; rules: string[]; fields: Record<string, unknown> }
  | { action: 'withhold'; rules: string[]; reason: WithholdReason; detail: string };
