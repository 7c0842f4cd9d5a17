import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `npm run build` bundles: the CLI and the frame worker. The worker is written as `entry.js`,
 * the name the worker pool starts beside itself, so the bundled pool starts the bundled worker and
 * the sources' pool the sources' worker (gateway/2-pipeline/workers/entry.js, through tsx).
 */
export const GATEWAY_ENTRIES: Readonly<Record<string, string>> = {
  veilgate: 'gateway/operations/cli/main.ts',
  // `veilgate fleet`, the agency's tools: a bundle of their own loads only what they use
  fleet: 'gateway/operations/cli/fleet-main.ts',
  entry: 'gateway/2-pipeline/workers/frame-worker.ts',
};

/**
 * Entries that carry their pure-JavaScript packages inside them, and which packages: the fleet
 * commands start sooner when node need not resolve and compile their packages' files one by one
 * (docs/performance.md, "Figures behind code choices"), and the one file runs on a workstation
 * without the gateway's installation. Every other package stays outside, as for the other entries.
 */
export const CARRIED_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  fleet: ['mqtt', 'ws', 'zod', 'yaml', 'commander'],
};

export interface BundleResult {
  outDir: string;
  files: Array<{ file: string; bytes: number }>;
  sources: number;
  ms: number;
}

/**
 * Bundles the TypeScript sources into plain JavaScript in `root/outDir`, so the gateway and its
 * frame workers run without tsx's loader, which costs resident memory in each of them
 * (docs/performance.md, "Figures behind code choices"). npm packages stay outside the bundle
 * (native modules, model files). The
 * folder must sit one level below `root`, as models/ does: the bundle finds models/build, policies/ and
 * package.json "one level up" (gateway/foundation/repo.ts).
 */
export async function buildBundle(root: string, outDir = 'dist', entries = GATEWAY_ENTRIES): Promise<BundleResult> {
  if (!/^[\w.-]+$/.test(outDir))
    throw new Error(`the bundle's folder must be one level below the installation folder, not ${outDir}`);
  const started = Date.now();
  const dir = join(root, outDir);
  // the manifest goes first and comes back last: an interrupted build is never taken for a fresh one
  await rm(join(dir, 'manifest.json'), { force: true });
  // loaded here, not with the module: a running gateway never needs esbuild, nor its memory
  const { build, version: esbuildVersion } = await import('esbuild');
  const pkg = await readPackage(root);
  const dependencies = Object.keys(pkg.dependencies ?? {});
  const define: Record<string, string> = pkg.version ? { VEILGATE_VERSION: JSON.stringify(pkg.version) } : {};
  const common = {
    absWorkingDir: root,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    write: false,
    logLevel: 'silent',
    define,
  } as const;
  const banner = '// Built by `npm run build` from the TypeScript sources. Do not edit.';
  const separate = Object.entries(entries).filter(([out]) => !CARRIED_PACKAGES[out]);
  const carrying = Object.entries(entries).filter(([out]) => CARRIED_PACKAGES[out]);
  const results = await Promise.all([
    build({
      ...common,
      entryPoints: separate.map(([out, input]) => ({ out, in: input })),
      // one file per entry: split into shared chunks, the same gateway was larger in memory
      // (docs/performance.md, "Figures behind code choices"); what only some commands need is
      // loaded by require instead
      packages: 'external',
      banner: { js: banner },
    }),
    ...carrying.map(([out, input]) =>
      build({
        ...common,
        entryPoints: [{ out, in: input }],
        external: dependencies.filter((d) => !CARRIED_PACKAGES[out]!.includes(d)),
        // a carried package's own optional require (ws tries bufferutil) needs a require in ESM
        banner: {
          js: `${banner}\nimport { createRequire as veilgateRequire } from 'node:module';\nconst require = veilgateRequire(import.meta.url);`,
        },
      }),
    ),
  ]);
  const result = {
    outputFiles: results.flatMap((r) => r.outputFiles),
    metafile: { inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)) as Record<string, unknown> },
  };
  const files: BundleResult['files'] = [];
  await mkdir(dir, { recursive: true });
  for (const f of result.outputFiles) {
    await writeFile(`${f.path}.tmp`, f.contents);
    await rename(`${f.path}.tmp`, f.path);
    files.push({ file: join(outDir, f.path.slice(dir.length + 1)), bytes: f.contents.length });
  }
  // ours: a carrying entry's inputs include its packages' files
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')).length;
  const manifest: BuildManifest = {
    builtAt: new Date().toISOString(),
    esbuild: esbuildVersion,
    node: process.versions.node,
    sources,
    files: files.map((f) => f.file),
  };
  await writeFile(join(dir, 'manifest.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'));
  return { outDir, files, sources, ms: Date.now() - started };
}

/** What a build wrote beside the bundle: when, with what, and how many source files went in. */
export interface BuildManifest {
  builtAt: string;
  esbuild: string;
  node: string;
  sources: number;
  files: string[];
}

/** The manifest of the build in `root/outDir`, or null when there is none (a build that stopped half-way has none). */
export async function readBuildManifest(root: string, outDir = 'dist'): Promise<BuildManifest | null> {
  try {
    return JSON.parse(await readFile(join(root, outDir, 'manifest.json'), 'utf8')) as BuildManifest;
  } catch {
    return null;
  }
}

/** The installation's package.json: its version goes into the bundle, and what a carrying entry leaves outside. */
async function readPackage(root: string): Promise<{ version?: string; dependencies?: Record<string, string> }> {
  try {
    return JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as never;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}
