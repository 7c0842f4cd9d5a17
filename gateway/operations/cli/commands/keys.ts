import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { makeSigningKeys } from '../../../3-decision/policy-in-force/index.ts';
import { UsageError } from '../exit.ts';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description("a privacy officer's key pair for signing policies");
  keys
    .command('init')
    .description(
      'make an Ed25519 key pair: NAME.key (private: keep it off the gateways) and NAME.pub (for policy.trustedKeys)',
    )
    .option('--out <dir>', 'the folder to write them in', '.')
    .option('--name <name>', 'the files are NAME.key and NAME.pub', 'policy-signing')
    .action(async (o: { out: string; name: string }) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new UsageError(`--name ${o.name}: use A-Z a-z 0-9 _ . -`);
      const k = makeSigningKeys();
      const [priv, pub] = [join(o.out, `${o.name}.key`), join(o.out, `${o.name}.pub`)];
      await mkdir(o.out, { recursive: true });
      try {
        // never over an existing key: a lost private key means re-trusting every gateway
        await writeFile(priv, k.privatePem, { mode: 0o600, flag: 'wx', flush: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST')
          throw new UsageError(`${priv} exists; move it aside or choose another --name`);
        throw e;
      }
      await writeFile(pub, k.publicPem, { mode: 0o644, flush: true });
      console.log(`private key ${priv} (mode 600; sign with it, keep it off the gateways)`);
      console.log(`public key  ${pub}, fingerprint ${k.fingerprint}`);
      console.log(
        `gateways that take policies signed with it list it in their config:\n  policy:\n    file: ./policies/default.yaml\n    trustedKeys: [${pub}]`,
      );
    });
}
