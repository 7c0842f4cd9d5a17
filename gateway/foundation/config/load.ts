import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYamlAgainst, unknownKeyHint, type SourceError } from '../../../policies/index.ts';
import type { z } from 'zod';
import { migrateCameras, oldCameraKeys } from './migrate.ts';
import { AgencyConfig, GatewayConfig, type UpstreamConfig } from './schema.ts';

/** A config as written: what `configFromObject` takes, before defaults. */
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

export type ConfigResult = { ok: true; config: Readonly<GatewayConfig> } | { ok: false; errors: SourceError[] };

/** Environment variables that override secrets, so they need not sit in the YAML file. */
const ENV_OVERRIDES: Array<[string, (u: UpstreamConfig, v: string) => void]> = [
  ['VEILGATE_UPSTREAM_USERNAME', (u, v) => (u.username = v)],
  ['VEILGATE_UPSTREAM_PASSWORD', (u, v) => (u.password = v)],
];

/** Reads, validates and freezes the config; relative paths are resolved against the file's folder. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  const text = await readConfigText(
    file,
    'the config',
    'pass --config FILE, or create gateway.yaml (see gateway.example.yaml)',
  );
  if (typeof text !== 'string') return text;
  const old = refuseOldCameraForm(text, file);
  if (old) return old;
  const parsed = parseYamlAgainst(GatewayConfig, text, file, (issue) => unknownKeyHint(GatewayConfig, issue));
  if (!parsed.ok) return parsed;
  return { ok: true, config: finishConfig(parsed.value, dirname(resolve(file)), env) };
}

/**
 * A config written before each camera had one home is refused, not guessed at: the error shows the
 * new `cameras:` section made from it, and the command that rewrites the file.
 */
function refuseOldCameraForm(text: string, file: string): { ok: false; errors: SourceError[] } | null {
  const old = oldCameraKeys(text);
  if (old.length === 0) return null;
  const { section } = migrateCameras(text);
  const shown = section
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  return {
    ok: false,
    errors: old.map((k, i) => ({
      file,
      line: k.line,
      column: k.column,
      path: k.path,
      message: `${k.path} is the old form: each camera's settings (source, zone, masks, orientation) now live under cameras.<id>`,
      hint:
        i > 0
          ? 'see the first error'
          : `run "veilgate config migrate --config ${file} --write" (it also moves cameras' zones out of the device registry), or write:\n${shown}`,
    })),
  };
}

/**
 * Builds a config from an object (the demo, tests and benches), with the same defaults and checks; typed, so a key the
 * schema dropped fails the typecheck rather than a bench run.
 */
export function configFromObject(
  input: GatewayConfigInput,
  baseDir: string,
  env: NodeJS.ProcessEnv = {},
): Readonly<GatewayConfig> {
  return finishConfig(GatewayConfig.parse(input), baseDir, env);
}

function finishConfig(config: GatewayConfig, baseDir: string, env: NodeJS.ProcessEnv): Readonly<GatewayConfig> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.dataDir = abs(config.dataDir);
  config.policy.file = abs(config.policy.file);
  config.policy.trustedKeys = config.policy.trustedKeys.map((k) =>
    k.trimStart().startsWith('-----BEGIN') ? k : abs(k),
  );
  finishUpstream(config.upstream, abs, env);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const t = config.broker.tls[key];
    if (t) config.broker.tls[key] = abs(t);
  }
  if (config.http.certFile) config.http.certFile = abs(config.http.certFile);
  if (config.http.keyFile) config.http.keyFile = abs(config.http.keyFile);
  // VEILGATE_CAMERA_<ID>_PASSWORD, the id upper-cased with - and . as _: RTSP credentials out of the file
  for (const [id, cam] of Object.entries(config.cameras)) {
    const v = env[`VEILGATE_CAMERA_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`];
    if (v && cam.source !== 'mqtt') cam.password = v;
  }
  return deepFreeze(config);
}

/** The upstream's files resolved against the config's folder, and its secrets from the environment. */
function finishUpstream(u: UpstreamConfig, abs: (p: string) => string, env: NodeJS.ProcessEnv): void {
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const v = u[key];
    if (v) u[key] = abs(v);
  }
  for (const [name, apply] of ENV_OVERRIDES) {
    const v = env[name];
    if (v) apply(u, v);
  }
}

export type AgencyConfigResult = { ok: true; config: Readonly<AgencyConfig> } | { ok: false; errors: SourceError[] };

/** The agency's side (`policy publish`, `policy status`): its broker, as a gateway's `upstream` section names it. */
export async function loadAgencyConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgencyConfigResult> {
  const text = await readConfigText(file, 'the agency config', 'pass --config FILE: {upstream: {url, topicPrefix}}');
  if (typeof text !== 'string') return text;
  const parsed = parseYamlAgainst(AgencyConfig, text, file, (issue) => unknownKeyHint(AgencyConfig, issue));
  if (!parsed.ok) return parsed;
  const baseDir = dirname(resolve(file));
  finishUpstream(parsed.value.upstream, (p) => (isAbsolute(p) ? p : resolve(baseDir, p)), env);
  return { ok: true, config: deepFreeze(parsed.value) };
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** A config file's text, or the error that says it cannot be read. */
async function readConfigText(
  file: string,
  what: string,
  hint: string,
): Promise<string | { ok: false; errors: SourceError[] }> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return {
      ok: false,
      errors: [{ file, line: 1, column: 1, path: '', message: `cannot read ${what}: ${reason}`, hint }],
    };
  }
}
