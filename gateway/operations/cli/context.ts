import { formatSourceError } from '../../../policies/index.ts';
import { loadConfig, type GatewayConfig } from '../../foundation/config/index.ts';
import { UsageError } from './exit.ts';

export const DEFAULT_CONFIG = './gateway.yaml';

/** Loads --config for commands that need the gateway's state; errors become exit 2 with file:line:column. */
export async function requireConfig(file: string): Promise<Readonly<GatewayConfig>> {
  const r = await loadConfig(file);
  if (!r.ok) throw new UsageError(r.errors.map(formatSourceError).join('\n'));
  return r.config;
}
