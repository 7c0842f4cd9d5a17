// Plain JavaScript: bin.js asks this before it decides whether to load the TypeScript loader at all.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Whether the bundled gateway (`veilgate build`, in `outDir`) was built from the sources as they are
 * now. The manifest lists every source file in the bundle and every file of the bundle with its sha256 and is written
 * last, so a
 * build that stopped half-way is absent, and a source edited since is stale: neither is ever run.
 * @param {string} root the installation's folder
 * @param {string} [outDir]
 * @returns {import('./state.d.ts').BundleState}
 */
export function bundleState(root, outDir = 'dist') {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, outDir, 'manifest.json'), 'utf8'));
  } catch {
    return { state: 'absent', reason: `${outDir}/ has not been built` };
  }
  const sources = Object.entries(manifest?.sources ?? {});
  const outputs = Object.entries(manifest?.outputs ?? {});
  if (sources.length === 0 || outputs.length === 0)
    return { state: 'stale', reason: `${outDir}/manifest.json lists no sources or no outputs` };
  // the outputs too: a bundle edited or cut short by hand is not run either
  for (const [file, sha] of [...outputs, ...sources]) {
    let now;
    try {
      now = sha256(readFileSync(join(root, file)));
    } catch {
      return { state: 'stale', reason: `${file} is gone since the bundle was built` };
    }
    if (now !== sha) return { state: 'stale', reason: `${file} changed since the bundle was built` };
  }
  return { state: 'fresh', builtAt: String(manifest.builtAt), sources: sources.length };
}

export { sha256 };
