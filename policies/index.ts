export { Policy, Rule, Transform, VisionSettings, DEFAULT_VISION, type RedactChoice } from './schema.ts';
export { withZone, type Candidate, type EvalEnv } from './candidate.ts';
export { WITHHOLD_REASONS, type Decision, type WithholdReason } from './decision.ts';
export { evaluate } from './evaluate.ts';
export { explain, formatExplanation, type Explanation } from './explain.ts';
export { RateLimits } from './rate-limits.ts';
export {
  CaseFile,
  CaseInput,
  parseCaseFile,
  runCases,
  toCandidate,
  describeDecision,
  type CaseResult,
} from './cases.ts';
export { diffPolicies, diffOnTraffic, formatDiff, type PolicyDiff } from './diff.ts';
export { parsePolicy, policyRef, type LoadedPolicy } from './load.ts';
export { unknownKeyHint } from './hints.ts';
export {
  parseYamlAgainst,
  formatSourceError,
  formatPath,
  positionOf,
  type SourceError,
  type Parsed,
} from './yaml-source.ts';
export { describePolicy, describeRule, type PolicyInWords } from './describe.ts';
export { policyWarnings } from './warnings.ts';
export { globMatches } from './match.ts';
