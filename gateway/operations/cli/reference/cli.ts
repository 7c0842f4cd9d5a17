import type { Command, Option } from 'commander';

/** The name of a command as typed: `veilgate devices add`. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function optionRow(o: Option): string {
  const def =
    o.defaultValue === undefined || o.defaultValue === false
      ? ''
      : ` (default: \`${Array.isArray(o.defaultValue) ? o.defaultValue.join(' ') : String(o.defaultValue)}\`)`;
  return `| \`${o.flags}\` | ${o.description.replace(/\|/g, '\\|')}${def} |`;
}

function section(cmd: Command, out: string[]): void {
  if (cmd.parent && cmd.commands.length === 0) {
    const args = cmd.registeredArguments
      .map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`) + (a.variadic ? '...' : ''))
      .join(' ');
    out.push(`## ${fullName(cmd)}`, '');
    out.push('```', `${fullName(cmd)}${args ? ` ${args}` : ''}${cmd.options.length ? ' [options]' : ''}`, '```', '');
    if (cmd.description()) out.push(cmd.description(), '');
    const options = cmd.options.filter((o) => !o.hidden);
    if (options.length) out.push('| option | meaning |', '|---|---|', ...options.map(optionRow), '');
  }
  for (const sub of cmd.commands) section(sub, out);
}

/** docs/cli.md: every command, its arguments and options, from the commands themselves. */
export function cliReference(program: Command): string {
  const out = [
    '# veilgate commands',
    '',
    '<!-- Generated from the commands (gateway/operations/cli/commands/) by `npm run schemas`; a test fails while it is stale. Do not edit. -->',
    '',
    'Exit codes: 0 success, 1 a check failed (a policy, a test case, the audit chain, a doctor check), 2 a usage error or a failure to run (see [architecture.md](architecture.md#exit-codes)). `veilgate COMMAND --help` prints the same as below.',
    '',
  ];
  for (const cmd of program.commands) {
    if (cmd.commands.length) out.push(`# ${fullName(cmd)}`, '', cmd.description(), '');
    section(cmd, out);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
