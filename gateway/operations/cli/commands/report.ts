import type { Command } from 'commander';
import { join } from 'node:path';
import { collectReport, renderHtml, renderMarkdown } from '../../report/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { reportOutput, reportOutputOptions, type ReportOutputOptions } from '../report-output.ts';

type Opts = ReportOutputOptions & { config: string };

export function registerReport(program: Command): void {
  reportOutputOptions(
    program
      .command('report')
      .description('the transparency report an agency can publish, computed from the audit chain'),
    'everything recorded',
  )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: Opts) => {
      const output = reportOutput(o, { html: renderHtml, md: renderMarkdown });
      const cfg = await requireConfig(o.config);
      const report = await collectReport(join(cfg.dataDir, 'audit'), cfg.gatewayId, output.period);
      await output.write(report);
      if (!report.chain.verified)
        console.error(`warning: the audit chain does not verify (${report.chain.problem}); the report says so`);
    });
}
