import type { Command } from 'commander';
import { createLogger } from '../../log.ts';
import { Gateway } from '../../gateway.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { stopWithin, untilSignal } from '../signals.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the gateway from a config file (production)')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (overrides logLevel)')
    .action(async (o: { config: string; logLevel?: string }) => {
      const signalled = untilSignal();
      const cfg = await requireConfig(o.config);
      const log = createLogger(o.logLevel ?? cfg.logLevel);
      const gateway = await Gateway.start(cfg, log);
      // the usual daemon convention: SIGHUP re-reads the policy (the file is also watched)
      process.on('SIGHUP', () => void gateway.reloadPolicy('signal'));
      const signal = await signalled;
      log.info({ signal }, 'stopping');
      await stopWithin(20_000, () => gateway.stop());
    });
}
