import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBuild } from './commands/build.ts';
import { registerCerts } from './commands/certs.ts';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerDevices } from './commands/devices.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerModels } from './commands/models.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerRedact } from './commands/redact.ts';
import { registerReport } from './commands/report.ts';
import { registerStart } from './commands/start.ts';
import { registerStatusLogin } from './commands/status-login.ts';
import { EXIT, UsageError } from './exit.ts';
import { describeStorageError } from '../storage/describe-error.ts';

// `veilgate policy diff ... | head`: a closed pipe ends the output, it is not a crash
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const program = new Command('veilgate')
  .description('privacy-first edge gateway for cameras and sensors')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError();

for (const register of [registerDemo, registerSimulate, registerStart, registerDevices, registerCerts, registerPolicy, registerConfig, registerAudit, registerReport, registerStatusLogin, registerRedact, registerModels, registerBuild, registerDoctor]) register(program);
for (const cmd of program.commands) cmd.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version are not errors; everything else commander reports is a usage error
    process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else if (e instanceof UsageError) {
    console.error(e.message);
    process.exitCode = EXIT.USAGE;
  } else {
    console.error(`veilgate: ${describeStorageError(e as Error)}`);
    process.exitCode = EXIT.USAGE;
  }
  // a command that failed part-way may have left a timer or a worker behind: it must not keep the
  // process alive, or systemd sees a running unit that serves nothing and never restarts it
  process.exit();
}
