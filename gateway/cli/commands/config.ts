import type { Command } from 'commander';
import { SCHEMA_FILES } from '../../schemas.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check and describe the gateway configuration');
  config
    .command('check')
    .description('validate a config file (exit 0 valid, 2 invalid)')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: { config: string }) => {
      const cfg = await requireConfig(o.config);
      console.log(
        `ok ${o.config}: gateway ${cfg.gatewayId}, broker ${cfg.broker.host}:${cfg.broker.port}, policy ${cfg.policy}`,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file, for editors')
    .action(() => {
      console.log(JSON.stringify(SCHEMA_FILES['docs/schema/gateway.schema.json']!(), null, 2));
    });
}
