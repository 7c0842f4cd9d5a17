import { Command } from 'commander';
import { VERSION } from '../../foundation/version.ts';

/** The `veilgate` program with no commands yet: its name, description, version and error handling. */
export function baseProgram(): Command {
  return new Command('veilgate')
    .description('privacy-first edge gateway for cameras and sensors')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
}
