import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { GatewayConfig } from '../config/index.ts';

/** The upstream's credentials and TLS files as mqtt.js takes them: what the uplink and `doctor` both connect with. */
export function upstreamAuth(u: GatewayConfig['upstream']): IClientOptions {
  return {
    ...(u.username ? { username: u.username } : {}),
    ...(u.password ? { password: u.password } : {}),
    ...(u.caFile ? { ca: readFileSync(u.caFile) } : {}),
    ...(u.certFile ? { cert: readFileSync(u.certFile) } : {}),
    ...(u.keyFile ? { key: readFileSync(u.keyFile) } : {}),
  };
}
