import type { Command } from 'commander';
import { runChecks } from '../../doctor/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this installation: Node, native modules on this CPU, models, ffmpeg, dataDir, ports, clock, policy; says what to fix (exit 1 on a failure)',
    )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option('--json', 'the results as JSON')
    .action(async (o: { config: string; json?: boolean }) => {
      const cfg = await requireConfig(o.config);
      const results = await runChecks(cfg);
      if (o.json) console.log(JSON.stringify(results, null, 2));
      else
        for (const r of results)
          console.log(
            `${r.status.toUpperCase().padEnd(4)}  ${r.name}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`,
          );
      const failed = results.filter((r) => r.status === 'fail').length;
      if (!o.json) console.log(failed ? `\n${failed} problem(s) to fix` : '\nall checks passed');
      process.exitCode = failed ? EXIT.CHECK_FAILED : EXIT.OK;
    });
}
