export { Policy, Rule, Transform } from './schema.ts';
export type { Candidate } from './candidate.ts';
export { WITHHOLD_REASONS, type Decision, type WithholdReason } from './decision.ts';
export { evaluate, ruleMatches } from './evaluate.ts';
export { parsePolicy, policyRef, type LoadedPolicy } from './load.ts';
export { parseYamlAgainst, formatSourceError, formatPath, type SourceError, type Parsed } from './yaml-source.ts';
