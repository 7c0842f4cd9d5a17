import type { Command } from 'commander';
import { SCHEMA_FILES } from '../../schemas.ts';
import { formatSourceError } from '../../../../policies/index.ts';
import { checkConfigFiles } from '../config-files.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { UsageError } from '../exit.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check and describe the gateway configuration');
  config
    .command('check')
    .description(
      'validate a config file and the files it names: the policy and every TLS file (exit 0 valid, 2 invalid)',
    )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option(
      '--start',
      'check what a start needs (the systemd unit runs this): a policy problem is then a warning, as the gateway starts without a valid policy and forwards nothing until it is fixed',
    )
    .action(async (o: { config: string; start?: boolean }) => {
      const cfg = await requireConfig(o.config);
      const { errors, policy } = await checkConfigFiles(o.config, cfg);
      if (policy && o.start) console.error(`warning: ${formatSourceError(policy)}`);
      else if (policy) errors.unshift(policy);
      if (errors.length > 0) throw new UsageError(errors.map(formatSourceError).join('\n'));
      console.log(
        `ok ${o.config}: gateway ${cfg.gatewayId}, broker ${cfg.broker.host}:${cfg.broker.port}, policy ${cfg.policy.file}`,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file, for editors')
    .action(() => {
      console.log(JSON.stringify(SCHEMA_FILES['docs/schema/gateway.schema.json']!(), null, 2));
    });
}
