import type { Command } from 'commander';
import { HttpLogins } from '../../http/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export function registerStatusLogin(program: Command): void {
  program
    .command('status-login')
    .description('a login for the status page (required when http.host is beyond loopback); prints the password once')
    .argument('<name>')
    .option('--remove', 'remove this login instead')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (name: string, o: { config: string; remove?: boolean }) => {
      if (!NAME.test(name)) throw new UsageError(`"${name}" is not a valid login name: 1-64 of A-Z a-z 0-9 _ . @ -`);
      const cfg = await requireConfig(o.config);
      const logins = await HttpLogins.open(cfg.dataDir);
      if (o.remove) {
        const removed = await logins.remove(name);
        console.log(removed ? `removed login ${name}` : `no login ${name}`);
        process.exitCode = removed ? EXIT.OK : EXIT.CHECK_FAILED;
        return;
      }
      const password = await logins.set(name);
      console.log(
        `status page login ${name}\npassword: ${password}\n(store it now: it is not kept and cannot be shown again)`,
      );
    });
}
