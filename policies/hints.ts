import type { z } from 'zod';
import { Policy, Rule, RuleMatch } from './schema.ts';

const KNOWN_TOP = Object.keys(Policy.shape);
const KNOWN_RULE = Object.keys(Rule.shape);
const KNOWN_MATCH = Object.keys(RuleMatch.shape);

/** A fix hint for a policy schema issue, for privacy officers rather than programmers. */
export function hintForPolicyIssue(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    const known = issue.path.length === 0 ? KNOWN_TOP : issue.path.at(-1) === 'match' ? KNOWN_MATCH : KNOWN_RULE;
    const key = issue.keys[0] ?? '';
    const near = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    if (near) return `did you mean "${near}"?`;
    if (key === 'deny' || key === 'block') return 'policies are allow-lists: list what may leave under "allow"; everything else is withheld';
    return `known keys here: ${known.join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.path.at(-1) === 'allow') return 'allow is a list of field names, e.g. allow: [type, at]';
  return undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
