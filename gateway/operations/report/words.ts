import { WITHHOLD_REASONS } from '../../../policies/index.ts';
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

/** The devices table of both renderings: each device, what it sends the gateway and what left. */
export function deviceTable(r: TransparencyReport): { head: string[]; rows: string[][] } {
  return {
    head: ['device', 'kind', 'zone', 'what it sends the gateway', 'what left the gateway'],
    rows: r.devices.map((d) => [
      d.id + (d.state === 'removed' ? ' (removed)' : ''),
      d.kind,
      d.zone ?? '-',
      d.collects,
      d.leaving.join(', ') || 'nothing',
    ]),
  };
}
