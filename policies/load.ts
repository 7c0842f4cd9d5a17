import { createHash } from 'node:crypto';
import { parseYamlAgainst, type Parsed } from './yaml-source.ts';
import { Policy } from './schema.ts';
import { hintForPolicyIssue } from './hints.ts';

/** A validated policy together with the identity every decision records. */
export interface LoadedPolicy {
  policy: Policy;
  /** sha256 of the exact file bytes: what the audit log and upstream records cite */
  sha256: string;
  source: string;
}

/** Parses policy text (the caller reads the file; this module stays free of fs). */
export function parsePolicy(text: string, source: string): Parsed<LoadedPolicy> {
  const parsed = parseYamlAgainst(Policy, text, source, hintForPolicyIssue);
  if (!parsed.ok) return parsed;
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { ok: true, value: { policy: Object.freeze(parsed.value) as Policy, sha256, source } };
}

export function policyRef(p: LoadedPolicy): { id: string; version: number; sha256: string } {
  return { id: p.policy.id, version: p.policy.version, sha256: p.sha256 };
}
