import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  diffOnTraffic,
  diffPolicies,
  explain,
  formatDiff,
  formatExplanation,
  parseYamlAgainst,
  policyWarnings,
  RateLimits,
  runCases,
  toCandidate,
  describeDecision,
  CaseInput,
  type LoadedPolicy,
} from '../../../../policies/index.ts';
import { formatErrors, readCaseFile, readInputs, readPolicyFile } from '../../../3-decision/policy-in-force/index.ts';
import { EXIT, UsageError } from '../exit.ts';
import { registerPolicyFleet } from './policy-fleet.ts';

const SALT_HELP = "the salt for hash transforms (default: a fixed test salt; hashes differ from the gateway's)";
const TEST_SALT = 'policy-test-salt';

async function policyOrFail(file: string): Promise<LoadedPolicy> {
  const r = await readPolicyFile(file);
  if (!r.ok) throw new UsageError(`${file} is not a valid policy:\n${formatErrors(r.errors)}`);
  return r.value;
}

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('check, test, explain and compare policy files; sign and publish them to a fleet');
  policy
    .command('check')
    .description('validate policy files; every error with file:line:column, the rule path and a hint')
    .argument('<files...>')
    .action(async (files: string[]) => {
      let failed = 0;
      for (const file of files) {
        const r = await readPolicyFile(file);
        if (r.ok) {
          const p = r.value.policy;
          console.log(
            `ok   ${file}: ${p.id} v${p.version}, ${p.rules.length} rule(s), sha256 ${r.value.sha256.slice(0, 12)}`,
          );
          const warnings = policyWarnings(p, r.text, file);
          if (warnings.length > 0)
            console.log(`warn ${file}: ${warnings.length} warning(s)\n${formatErrors(warnings)}`);
        } else {
          failed++;
          const cases = await readCaseFile(file);
          if (cases.ok) {
            const target = cases.value.policy ? join(dirname(file), cases.value.policy) : '<policy>';
            console.log(
              `FAIL ${file}: this is a case file (inputs and expected outcomes), not a policy; run it with\n` +
                `  veilgate policy test ${target} ${file}`,
            );
          } else console.log(`FAIL ${file}: ${r.errors.length} error(s)\n${formatErrors(r.errors)}`);
        }
      }
      process.exitCode = failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
    });

  policy
    .command('test')
    .description('run case files (inputs and expected outcomes) through a policy, like a test runner')
    .argument('<policy>')
    .argument('<cases...>')
    .action(async (file: string, caseFiles: string[]) => {
      const loaded = await policyOrFail(file);
      let passed = 0;
      let failed = 0;
      console.log(`${file}: ${loaded.policy.id} v${loaded.policy.version}`);
      for (const cf of caseFiles) {
        const c = await readCaseFile(cf);
        if (!c.ok) {
          failed++;
          console.log(`FAIL ${cf}: not a valid case file\n${formatErrors(c.errors)}`);
          continue;
        }
        console.log(`  ${cf}`);
        runCases(loaded.policy, c.value).forEach((r, i) => {
          if (r.ok) passed++;
          else failed++;
          console.log(`    ${r.ok ? 'ok  ' : 'FAIL'} ${i + 1} - ${r.name}`);
          if (!r.ok) console.log(`         expected: ${r.expected}\n         actual:   ${r.actual}`);
        });
      }
      console.log(`${passed} passed, ${failed} failed`);
      process.exitCode = failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
    });

  policy
    .command('explain')
    .description(
      'show how a policy decides one input: which rule applies, why the others do not, what happens to each field',
    )
    .argument('<policy>')
    .argument(
      '<input>',
      'a YAML or JSON file with {device: {id, kind, zone?}, record, fields, at?}, or that object inline',
    )
    .option('--salt <salt>', SALT_HELP, TEST_SALT)
    .action(async (file: string, input: string, o: { salt: string }) => {
      const loaded = await policyOrFail(file);
      const inline = input.trimStart().startsWith('{');
      const text = inline ? input : await readInputText(input);
      const r = parseYamlAgainst(CaseInput, text, inline ? '<input>' : input);
      if (!r.ok) throw new UsageError(`not a valid input:\n${formatErrors(r.errors)}`);
      const { candidate, now } = toCandidate(r.value);
      const e = explain(loaded.policy, candidate, { now, salt: o.salt, limits: new RateLimits() });
      console.log(
        `${loaded.policy.id} v${loaded.policy.version} on ${candidate.recordType} from ${candidate.deviceId} at ${new Date(now).toISOString()}`,
      );
      console.log(formatExplanation(e));
    });

  policy
    .command('diff')
    .description('what NEW lets out that OLD did not, and the reverse; exit 1 when NEW lets out more')
    .argument('<old>')
    .argument('<new>')
    .option(
      '--events <file>',
      'also run both on recorded or written inputs (a case file, or JSON lines) and show what changes',
    )
    .option('--salt <salt>', SALT_HELP, TEST_SALT)
    .action(async (oldFile: string, newFile: string, o: { events?: string; salt: string }) => {
      const [a, b] = [await policyOrFail(oldFile), await policyOrFail(newFile)];
      const inputs = o.events ? await readInputs(o.events) : null;
      if (inputs && !inputs.ok) throw new UsageError(`${o.events}: not valid inputs:\n${formatErrors(inputs.errors)}`);
      console.log(
        `old: ${oldFile} (${a.policy.id} v${a.policy.version})\nnew: ${newFile} (${b.policy.id} v${b.policy.version})`,
      );
      const d = diffPolicies(a.policy, b.policy);
      console.log(formatDiff(d));
      if (inputs?.ok) {
        const t = diffOnTraffic(a.policy, b.policy, inputs.value.map(toCandidate), o.salt);
        const count = (from: string, to: string) =>
          t.changed.filter((c) => c.before.action === from && c.after.action === to).length;
        console.log(
          `\non ${t.total} inputs from ${o.events}: ${t.changed.length} decided differently ` +
            `(${count('withhold', 'forward')} newly forwarded, ${count('forward', 'withhold')} newly withheld, ${count('forward', 'forward')} forwarded differently)`,
        );
        for (const c of t.changed.slice(0, 50)) {
          console.log(
            `  ${c.input.recordType} from ${c.input.deviceId}:\n    old: ${describeDecision(c.before)}\n    new: ${describeDecision(c.after)}`,
          );
        }
        if (t.changed.length > 50) console.log(`  ... and ${t.changed.length - 50} more`);
      }
      console.log(
        d.widens
          ? '\nthe new policy may let out something the old one did not, or let it out differently: review before activating'
          : '\nthe new policy lets out nothing the old one did not',
      );
      process.exitCode = d.widens ? EXIT.CHECK_FAILED : EXIT.OK;
    });
  registerPolicyFleet(policy);
}

async function readInputText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`,
    );
  }
}
