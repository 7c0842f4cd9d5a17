import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { GatewayConfig } from '../foundation/config/index.ts';

/** The agency's broker nodes: `urls`, or `url` as a list of one. */
export function upstreamUrls(u: GatewayConfig['upstream']): string[] {
  return u.urls ?? [u.url];
}

/** mqtt.js's `servers`: the uplink's client goes to the next on each reconnect. */
export function upstreamServers(u: GatewayConfig['upstream']): NonNullable<IClientOptions['servers']> {
  return upstreamUrls(u).map((url) => {
    const p = new URL(url);
    const protocol = p.protocol === 'mqtts:' ? ('mqtts' as const) : ('mqtt' as const);
    return { host: p.hostname, port: Number(p.port) || (protocol === 'mqtts' ? 8883 : 1883), protocol };
  });
}

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
