import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { loadJpegFrames, startCameraSim } from '../../../simulators/index.ts';
import { startEmbeddedUpstream } from '../embedded-upstream.ts';
import { PHOTOS, REPO, waitFor, writeFastDefaultPolicy } from '../../test/harness.ts';
import { VERSION } from '../../foundation/version.ts';
import { buildBundle, readBuildManifest } from './index.ts';

/** every child process of `pid` (tsx's loader keeps an esbuild service running beside the process) */
async function childCommands(pid: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['--ppid', String(pid), '-o', 'args=']).catch(() => ({
    stdout: '',
  }));
  return stdout.split('\n').filter(Boolean);
}

test('the bundled gateway runs from plain JavaScript: it redacts a real photo in its bundled frame worker, with no TypeScript loader beside it', async (t) => {
  const out = `.test-bundle-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bundle-'));
  const records: string[] = [];
  const upstream = await startEmbeddedUpstream('veilgate', (r) => records.push(r.topic));
  t.after(async () => {
    await upstream.stop();
    await rm(join(REPO, out), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });
  const built = await buildBundle(REPO, out);
  for (const f of [`${out}/veilgate.js`, `${out}/entry.js`, `${out}/fleet.js`])
    assert.ok(
      built.files.some((b) => b.file === f),
      f,
    );

  const cfg = join(dir, 'gateway.yaml');
  await writeFile(
    cfg,
    `gatewayId: gw-bundle\ndataDir: ./data\npolicy: ${await writeFastDefaultPolicy(dir)}\nbroker:\n  port: 0\nhttp:\n  port: 0\nupstream:\n  url: ${upstream.url}\n`,
  );
  // the agency's tools, in their own bundle that carries its packages: copied alone to a workstation,
  // without the gateway's installation or its package.json, they run with plain node
  await mkdir(join(dir, 'workstation'));
  await copyFile(join(REPO, out, 'fleet.js'), join(dir, 'workstation', 'fleet.js'));
  const fleetAlone = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(dir, 'workstation', 'fleet.js'), ...args], { cwd: dir });
  assert.match((await fleetAlone('fleet', '--help')).stdout, /status[\s\S]*archive[\s\S]*report/);
  assert.equal((await fleetAlone('--version')).stdout.trim(), VERSION, 'the version is built in');
  const bundle = join(REPO, out, 'veilgate.js');
  // plain `node`: a TypeScript file left in the bundle's import graph would fail to load here
  const added = await promisify(execFile)(process.execPath, [
    bundle,
    'devices',
    'add',
    'cam-1',
    '--kind',
    'camera',
    '--config',
    cfg,
  ]);
  const secret = /MQTT password: (\S+)/.exec(added.stdout)![1]!;
  const gw = spawn(process.execPath, [bundle, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  gw.stdout.on('data', (d: Buffer) => (log += d.toString()));
  gw.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => gw.once('exit', r));
  t.after(() => gw.kill('SIGKILL'));
  await waitFor(
    'the bundled gateway to start',
    () => /"msg":"gateway started"/.test(log) || gw.exitCode !== null,
    60_000,
  );
  const port = /"broker":"127\.0\.0\.1:(\d+)"/.exec(log)?.[1];
  assert.ok(port, log);
  assert.match(log, /"code":"bundle".*"msg":"gateway started"/);

  const cam = await startCameraSim({
    url: `mqtt://127.0.0.1:${port}`,
    deviceId: 'cam-1',
    secret,
    frames: await loadJpegFrames(PHOTOS),
    fps: 4,
  });
  t.after(() => cam.stop());
  // a counts record needs frames that went through the detectors in the (bundled) worker
  await waitFor('a counts record from the camera', () => records.includes('veilgate/gw-bundle/cam-1/counts'), 60_000);
  assert.match(log, /"models":\["blazeface-front-128".*"msg":"frame workers ready"/);
  assert.deepEqual(await childCommands(gw.pid!), [], 'no esbuild service (tsx) runs beside the bundled gateway');
  gw.kill('SIGTERM');
  assert.equal(await exited, 0, log);
});

test('the installed command runs dist/ with plain node; without a build it says to run npm run build; a failed build leaves no manifest', async (t) => {
  // an installation's layout: the launcher and its first import, the dependencies, a dist/ of its own
  const root = await mkdtemp(join(tmpdir(), 'veilgate-install-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const f of ['gateway/operations/cli/bin.js', 'gateway/1-inputs/broker/patches/quiet-debug.js']) {
    await mkdir(dirname(join(root, f)), { recursive: true });
    await copyFile(join(REPO, f), join(root, f));
  }
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const bin = join(root, 'gateway/operations/cli/bin.js');
  const run = () =>
    promisify(execFile)(process.execPath, [bin]).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
  const before = await run();
  assert.equal(before.code, 2);
  assert.match(before.out, /veilgate is not built: run `npm run build`/);

  await mkdir(join(root, 'src'));
  await writeFile(join(root, 'src/a.ts'), 'export const a: string = "the bundle runs";\n');
  await writeFile(
    join(root, 'src/main.ts'),
    "import { a } from './a.ts';\nconsole.log(a, process.env.ORT_DISABLE_TELEMETRY);\n",
  );
  await buildBundle(root, 'dist', { veilgate: 'src/main.ts' });
  assert.equal((await readBuildManifest(root))?.sources, 2);
  assert.deepEqual(await run(), { code: 0, out: 'the bundle runs 1\n' });

  // a build that fails (here: an import that cannot be resolved) leaves no manifest behind
  await writeFile(join(root, 'src/main.ts'), "import { a } from './missing.ts';\nconsole.log(a);\n");
  await assert.rejects(buildBundle(root, 'dist', { veilgate: 'src/main.ts' }), /missing\.ts/);
  assert.equal(await readBuildManifest(root), null);
});

test('the bundle must sit one level below the installation folder, where the sources find models/ and policies/', async () => {
  await assert.rejects(buildBundle(REPO, 'build/dist'), /one level below the installation folder/);
  await assert.rejects(buildBundle(REPO, '../elsewhere'), /one level below the installation folder/);
});
