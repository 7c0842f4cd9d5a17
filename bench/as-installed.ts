import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../gateway/foundation/repo.ts';

/** How docs/deploy/veilgate.service runs node: its flags before the script and its environment. */
export interface NodeLaunch {
  flags: string[];
  env: Record<string, string>;
}

/**
 * Read from the unit itself, so a bench that measures the gateway "as installed" cannot drift from
 * what a box runs: the ExecStart flags between node and the script, and every Environment= line.
 */
export function unitLaunch(unitText = readFileSync(join(REPO, 'docs/deploy/veilgate.service'), 'utf8')): NodeLaunch {
  const exec = /^ExecStart=\S*node((?:\s+--\S+)*)\s+\S+\.js\b/m.exec(unitText);
  if (!exec) throw new Error('docs/deploy/veilgate.service: no ExecStart line running node');
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return { flags: exec[1]!.trim().split(/\s+/).filter(Boolean), env };
}
