import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYamlAgainst, unknownKeyHint, type SourceError } from '../../policies/index.ts';
import type { z } from 'zod';
import { GatewayConfig } from './schema.ts';

/** A config as written: what `configFromObject` takes, before defaults. */
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

export type ConfigResult = { ok: true; config: Readonly<GatewayConfig> } | { ok: false; errors: SourceError[] };

/** Environment variables that override secrets, so they need not sit in the YAML file. */
const ENV_OVERRIDES: Array<[string, (c: GatewayConfig, v: string) => void]> = [
  ['VEILGATE_UPSTREAM_USERNAME', (c, v) => (c.upstream.username = v)],
  ['VEILGATE_UPSTREAM_PASSWORD', (c, v) => (c.upstream.password = v)],
];

/** Reads, validates and freezes the config; relative paths are resolved against the file's folder. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return {
      ok: false,
      errors: [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: `cannot read the config: ${reason}`,
          hint: 'pass --config FILE, or create gateway.yaml (see gateway.example.yaml)',
        },
      ],
    };
  }
  const parsed = parseYamlAgainst(GatewayConfig, text, file, (issue) => unknownKeyHint(GatewayConfig, issue));
  if (!parsed.ok) return parsed;
  return { ok: true, config: finishConfig(parsed.value, dirname(resolve(file)), env) };
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
  config.policy = abs(config.policy);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const v = config.upstream[key];
    if (v) config.upstream[key] = abs(v);
    const t = config.broker.tls[key];
    if (t) config.broker.tls[key] = abs(t);
  }
  if (config.http.certFile) config.http.certFile = abs(config.http.certFile);
  if (config.http.keyFile) config.http.keyFile = abs(config.http.keyFile);
  // VEILGATE_CAMERA_<ID>_PASSWORD, the id upper-cased with - and . as _: RTSP credentials out of the file
  for (const cam of config.cameras) {
    const v = env[`VEILGATE_CAMERA_${cam.id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`];
    if (v) cam.password = v;
  }
  for (const [name, apply] of ENV_OVERRIDES) {
    const v = env[name];
    if (v) apply(config, v);
  }
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
