import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * A test's helper script as one plain JavaScript file in `dir`, for tests that start it as a process
 * many times: through tsx each start compiles its sources again, which is most of its time. Its npm
 * packages go inside, as `dir` may be outside the project: fine for plain JavaScript ones only.
 */
export async function bundledScript(entry: string, dir: string): Promise<string> {
  const outfile = join(dir, `${entry.split('/').at(-1)!.replace(/\.ts$/, '')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  return outfile;
}
