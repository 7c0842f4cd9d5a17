// `npm run build`: the bundle the installed gateway runs (gateway/operations/cli/bin.js). A development tool:
// esbuild and tsx are dev dependencies, and nothing of this runs in the gateway.
import { buildBundle } from './build.ts';
import { REPO } from '../../foundation/repo.ts';

const root = process.argv[2] ?? REPO;
const r = await buildBundle(root);
for (const f of r.files) console.log(`${f.file}  ${(f.bytes / 1024).toFixed(0)} KiB`);
console.log(`bundled ${r.sources} source files in ${r.ms} ms into ${root === REPO ? '' : `${root}/`}${r.outDir}/`);
