import type { Command } from 'commander';
import { createLogger } from '../../../foundation/log.ts';
import { Gateway } from '../../../gateway.ts';
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
      let started = false;
      // a stop asked for while starting (systemd gave up waiting, an operator's Ctrl-C): the start
      // finishes or fails, then the gateway stops; a start that hangs is not waited for long
      void signalled.then((signal) => {
        if (started) return;
        console.error(`veilgate: ${signal} while starting; stopping once started`);
        setTimeout(() => {
          console.error('veilgate: the start did not finish within 15 s of the signal; exiting');
          process.exit(signal === 'SIGINT' ? 130 : 143);
        }, 15_000).unref();
      });
      const cfg = await requireConfig(o.config);
      const log = createLogger(o.logLevel ?? cfg.logLevel);
      const gateway = await Gateway.start(cfg, log, { configFile: o.config });
      started = true;
      // the usual daemon convention: SIGHUP re-reads the policy (the file is also watched)
      process.on('SIGHUP', () => void gateway.reloadPolicy('signal'));
      const signal = await signalled;
      log.info({ signal }, 'stopping');
      await stopWithin(20_000, () => gateway.stop());
    });
}
