import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectReport, renderHtml, renderMarkdown } from '../../report/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { UsageError } from '../exit.ts';
import { parseTime } from './audit.ts';

type Opts = { config: string; since?: string; until?: string; format: string; out?: string };

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the transparency report an agency can publish, computed from the audit chain')
    .option('--since <time>', 'from this time (ISO 8601); everything recorded when absent')
    .option('--until <time>', 'before this time (ISO 8601); now when absent')
    .option('--format <format>', 'html, md or json', 'html')
    .option('--out <file>', 'write it here instead of standard output')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: Opts) => {
      const render = { html: renderHtml, md: renderMarkdown, json: (r: unknown) => `${JSON.stringify(r, null, 2)}\n` }[
        o.format
      ];
      if (!render) throw new UsageError(`--format must be html, md or json, not "${o.format}"`);
      const period = { since: parseTime('--since', o.since), until: parseTime('--until', o.until) };
      if (period.since && period.until && period.since >= period.until)
        throw new UsageError('--since must be before --until');
      const cfg = await requireConfig(o.config);
      const report = await collectReport(join(cfg.dataDir, 'audit'), cfg.gatewayId, period);
      const text = render(report as never);
      if (o.out) await writeFile(o.out, text);
      else process.stdout.write(text);
      if (!report.chain.verified)
        console.error(`warning: the audit chain does not verify (${report.chain.problem}); the report says so`);
    });
}
