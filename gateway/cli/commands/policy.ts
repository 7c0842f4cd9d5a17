import type { Command } from 'commander';
import { formatSourceError } from '../../../policies/index.ts';
import { readPolicyFile } from '../../policy/index.ts';
import { EXIT } from '../exit.ts';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('check policy files');
  policy
    .command('check')
    .description('validate policy files; every error with file:line:column, the rule path and a hint')
    .argument('<files...>')
    .action(async (files: string[]) => {
      let failed = 0;
      for (const file of files) {
        const r = await readPolicyFile(file);
        if (r.ok) {
          const p = r.value.policy;
          console.log(`ok   ${file}: ${p.id} v${p.version}, ${p.rules.length} rule(s), sha256 ${r.value.sha256.slice(0, 12)}`);
        } else {
          failed++;
          console.log(`FAIL ${file}: ${r.errors.length} error(s)`);
          for (const e of r.errors) console.log(`  ${formatSourceError(e)}`);
        }
      }
      process.exitCode = failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
    });
}
