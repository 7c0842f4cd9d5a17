import { Command } from 'commander';
import { VERSION } from '../../foundation/version.ts';
import { registerAudit } from './commands/audit.ts';
import { registerCerts } from './commands/certs.ts';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerDevices } from './commands/devices.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerModels } from './commands/models.ts';
import { registerKeys } from './commands/keys.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerRedact } from './commands/redact.ts';
import { registerReport } from './commands/report.ts';
import { registerStart } from './commands/start.ts';
import { registerStatusLogin } from './commands/status-login.ts';

/** Every `veilgate` command, as the CLI runs them and as docs/cli.md lists them. */
export function buildProgram(): Command {
  const program = new Command('veilgate')
    .description('privacy-first edge gateway for cameras and sensors')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  for (const register of [
    registerDemo,
    registerSimulate,
    registerStart,
    registerDevices,
    registerCerts,
    registerPolicy,
    registerKeys,
    registerConfig,
    registerAudit,
    registerReport,
    registerStatusLogin,
    registerRedact,
    registerModels,
    registerDoctor,
  ])
    register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
