import { CommanderError, type Command } from 'commander';
import { EXIT, UsageError } from './exit.ts';
import { describeStorageError } from '../../foundation/storage/describe-error.ts';

/** Runs the command line through a program, with the exit codes docs/cli.md promises. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  // `veilgate policy diff ... | head`: a closed pipe ends the output, it is not a crash
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  // each command reports its errors to the handling below, as the program itself does
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
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
}
