import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from './exit.ts';
import { parseTime } from './commands/audit.ts';

/** What `--since`, `--until`, `--format` and `--out` give a report command. */
export interface ReportOutputOptions {
  since?: string;
  until?: string;
  format: string;
  out?: string;
}

/** The options both transparency reports take (`veilgate report`, `veilgate fleet report`). */
export function reportOutputOptions(cmd: Command, sinceWhenAbsent: string): Command {
  return cmd
    .option('--since <time>', `from this time (ISO 8601); ${sinceWhenAbsent} when absent`)
    .option('--until <time>', 'before this time (ISO 8601); now when absent')
    .option('--format <format>', 'html, md or json', 'html')
    .option('--out <file>', 'write it here instead of standard output');
}

/**
 * The period asked for and a writer for the format asked for, both checked before the report is
 * collected: a usage error for a format other than html, md or json, a time that is not one, or a
 * period that ends before it starts.
 */
export function reportOutput<R>(
  o: ReportOutputOptions,
  renderers: { html: (r: R) => string; md: (r: R) => string },
): { period: { since?: Date; until?: Date }; write(report: R): Promise<void> } {
  const formats: Record<string, (r: R) => string> = {
    ...renderers,
    json: (r) => `${JSON.stringify(r, null, 2)}\n`,
  };
  if (!Object.hasOwn(formats, o.format)) throw new UsageError(`--format must be html, md or json, not "${o.format}"`);
  const render = formats[o.format]!;
  const since = parseTime('--since', o.since);
  const until = parseTime('--until', o.until);
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  return {
    period: { ...(since ? { since } : {}), ...(until ? { until } : {}) },
    async write(report) {
      const text = render(report);
      if (o.out) await writeFile(o.out, text);
      else process.stdout.write(text);
    },
  };
}
