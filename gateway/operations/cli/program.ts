import type { Command } from 'commander';
import { baseProgram } from './program-base.ts';

type Register = (program: Command) => void;

/**
 * Each top-level command and where it is. A command's module is loaded only when it runs (or for the
 * help), so from the sources (`npm run veilgate`, the tests) `veilgate devices add` neither compiles
 * nor loads what `start` needs. The bundle imports its npm packages at its top either way. In the
 * order `veilgate --help` lists them.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  demo: async () => (await import('./commands/demo.ts')).registerDemo,
  simulate: async () => (await import('./commands/simulate.ts')).registerSimulate,
  start: async () => (await import('./commands/start.ts')).registerStart,
  devices: async () => (await import('./commands/devices.ts')).registerDevices,
  certs: async () => (await import('./commands/certs.ts')).registerCerts,
  policy: async () => (await import('./commands/policy.ts')).registerPolicy,
  keys: async () => (await import('./commands/keys.ts')).registerKeys,
  config: async () => (await import('./commands/config.ts')).registerConfig,
  audit: async () => (await import('./commands/audit.ts')).registerAudit,
  report: async () => (await import('./commands/report.ts')).registerReport,
  'status-login': async () => (await import('./commands/status-login.ts')).registerStatusLogin,
  redact: async () => (await import('./commands/redact.ts')).registerRedact,
  models: async () => (await import('./commands/models.ts')).registerModels,
  doctor: async () => (await import('./commands/doctor.ts')).registerDoctor,
  fleet: async () => (await import('./commands/fleet.ts')).registerFleet,
};

/**
 * Every `veilgate` command, as docs/cli.md lists them; given the command line, only the command it
 * names (all of them when it names none, for the help and the error that lists them).
 */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = baseProgram();
  const named = argv?.[2];
  const wanted =
    named === '--version' || named === '-V'
      ? []
      : named !== undefined && Object.hasOwn(COMMANDS, named)
        ? [named]
        : Object.keys(COMMANDS);
  for (const register of await Promise.all(wanted.map((name) => COMMANDS[name]!()))) register(program);
  return program;
}
