import { WITHHOLD_REASONS } from '../../policies/index.ts';
import type { TransparencyReport } from './collect.ts';

export function periodWords(r: TransparencyReport): string {
  return r.period.since
    ? `Period ${r.period.since} to ${r.period.until}`
    : `Everything recorded until ${r.period.until}`;
}

/** The plain words of a withhold reason, for readers who do not know the codes. */
export function reasonWords(code: string): string {
  return (WITHHOLD_REASONS as Record<string, string>)[code] ?? code;
}
