import { readFile } from 'node:fs/promises';
import { positionOf, type SourceError } from '../../../policies/index.ts';
import { readPolicyFile } from '../../3-decision/policy-in-force/file.ts';
import { readTrustedKeys } from '../../3-decision/policy-in-force/signature.ts';
import type { GatewayConfig } from '../../foundation/config/schema.ts';

/** The files a config names, by key path: what the gateway will read at start. */
function namedFiles(cfg: Readonly<GatewayConfig>): Array<{ path: string[]; file: string }> {
  const out: Array<{ path: string[]; file: string }> = [];
  const add = (path: string[], file: string | undefined) => file && out.push({ path, file });
  const tls = cfg.broker.tls;
  if (tls.enabled) {
    add(['broker', 'tls', 'certFile'], tls.certFile);
    add(['broker', 'tls', 'keyFile'], tls.keyFile);
    add(['broker', 'tls', 'caFile'], tls.caFile);
  }
  for (const k of ['caFile', 'certFile', 'keyFile'] as const) add(['upstream', k], cfg.upstream[k]);
  add(['http', 'certFile'], cfg.http.certFile);
  add(['http', 'keyFile'], cfg.http.keyFile);
  return out;
}

/**
 * Checks the files a valid config names, as `config check` does before a start: the policy (read
 * and validated) and every TLS file (readable, PEM). Each problem is placed at its key in the config
 * file, so the operator sees which line to fix. The policy's problem is apart: a gateway starts
 * without a valid policy (forwarding nothing), but not without its TLS files.
 */
export async function checkConfigFiles(
  configFile: string,
  cfg: Readonly<GatewayConfig>,
): Promise<{ errors: SourceError[]; policy: SourceError | null }> {
  const text = await readFile(configFile, 'utf8');
  const at = (path: string[], message: string, hint: string): SourceError => ({
    file: configFile,
    ...positionOf(text, path),
    path: path.join('.'),
    message,
    hint,
  });
  const errors: SourceError[] = [];
  let policyError: SourceError | null = null;
  const policy = await readPolicyFile(cfg.policy.file);
  if (!policy.ok) {
    const first = policy.errors[0]!;
    const where = `${first.file}:${first.line}:${first.column}`;
    policyError = at(
      ['policy'],
      policy.errors.length === 1 && first.line === 1 && first.path === ''
        ? `${cfg.policy.file}: ${first.message}`
        : `${cfg.policy.file} is not a valid policy (${policy.errors.length} error(s); first, ${where}: ${first.message})`,
      `veilgate policy check ${cfg.policy.file}; without a valid policy the gateway forwards nothing`,
    );
  }
  for (const { path, file } of namedFiles(cfg)) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'not readable' : (e as Error).message;
      errors.push(at(path, `${file}: ${why}`, 'check the path, and that the service user can read it'));
      continue;
    }
    if (!/-----BEGIN [A-Z ]+-----/.test(pem))
      errors.push(at(path, `${file}: not a PEM file`, 'point the key at a PEM certificate or key'));
  }
  const keys = await readTrustedKeys(cfg.policy.trustedKeys);
  if (!keys.ok)
    for (const e of keys.errors)
      errors.push(
        at(['policy', 'trustedKeys'], e, "a privacy officer's public key, as `veilgate keys init` writes it"),
      );
  return { errors, policy: policyError };
}
