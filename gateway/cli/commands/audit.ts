import type { Command } from 'commander';
import { join } from 'node:path';
import { verifyAudit } from '../../audit/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident decision log');
  audit
    .command('verify')
    .description("check the log's hash chain; names the first bad entry (exit 1)")
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: { config: string }) => {
      const cfg = await requireConfig(o.config);
      const r = await verifyAudit(join(cfg.dataDir, 'audit'));
      if (r.ok) {
        console.log(`ok: ${r.entries} entries, chain head #${r.head.seq} ${r.head.hash}`);
        process.exitCode = EXIT.OK;
      } else {
        console.log(`FAIL at line ${r.line}${r.badSeq !== null ? ` (entry #${r.badSeq})` : ''}: ${r.problem}; ${r.entries} entries before it verified`);
        process.exitCode = EXIT.CHECK_FAILED;
      }
    });
}
