export { runChecks, type CheckResult } from './checks.ts';
