import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  evaluate,
  parseCaseFile,
  parsePolicy,
  RateLimits,
  toCandidate,
  type Candidate,
  type Policy,
} from '../policies/index.ts';

const POLICIES = new URL('../policies/', import.meta.url).pathname;
const TARGET = 100_000;

function examples(): Array<{ name: string; policy: Policy; inputs: Array<{ candidate: Candidate; now: number }> }> {
  const files = [
    'default.yaml',
    ...readdirSync(join(POLICIES, 'examples'))
      .filter((f) => !f.endsWith('.cases.yaml'))
      .map((f) => join('examples', f)),
  ];
  return files.map((f) => {
    const p = parsePolicy(readFileSync(join(POLICIES, f), 'utf8'), f);
    const c = parseCaseFile(readFileSync(join(POLICIES, f.replace(/\.yaml$/, '.cases.yaml')), 'utf8'), f);
    if (!p.ok || !c.ok) throw new Error(`${f} does not load`);
    return { name: f, policy: p.value.policy, inputs: c.value.cases.map(toCandidate) };
  });
}

/**
 * Decisions per second of the pure evaluator on each example policy's own case inputs (forwards
 * and withholds, every transform, rate limits on), one thread, against the 100,000/s target.
 */
export async function benchPolicyEval(): Promise<void> {
  console.log(
    "\n## policy evaluator: decisions per second on one core (the example policies' case inputs, rate limits on)",
  );
  console.log('policy                           decisions/s   x target (100k/s)');
  for (const { name, policy, inputs } of examples()) {
    const limits = new RateLimits();
    const run = (n: number) => {
      let forwards = 0;
      for (let i = 0; i < n; i++) {
        const { candidate, now } = inputs[i % inputs.length]!;
        // advance the clock so rate limits refill as they would in real traffic
        if (evaluate(policy, candidate, { now: now + i * 50, salt: 'bench', limits }).action === 'forward') forwards++;
      }
      return forwards;
    };
    run(20_000); // warm up the JIT
    const n = 300_000;
    const t0 = process.hrtime.bigint();
    const forwards = run(n);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = n / s;
    console.log(
      `${name.padEnd(32)} ${Math.round(rate).toLocaleString('en').padStart(11)}   ${(rate / TARGET).toFixed(1).padStart(5)}x   (${Math.round((forwards / n) * 100)}% forwarded)`,
    );
  }
}
