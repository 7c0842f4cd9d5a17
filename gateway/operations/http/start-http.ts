import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import { HttpLogins } from './logins.ts';
import { isLoopback, serveHttp, type HttpSources } from './server.ts';

/**
 * The logins the status page needs, read before anything starts: a page served beyond loopback (or
 * with http.requireLogin) and no login to open it is a failed start, not an open page.
 */
export async function openHttpLogins(cfg: Readonly<GatewayConfig>): Promise<HttpLogins | null> {
  const h = cfg.http;
  if (!h.enabled || (!h.requireLogin && isLoopback(h.host))) return null;
  const logins = await HttpLogins.open(cfg.dataDir);
  if (logins.names().length === 0) {
    const why = `http.host ${h.host}${h.requireLogin ? ', http.requireLogin' : ''}`;
    const msg = `the status page needs a login (${why}) and none exists: run "veilgate status-login NAME" first`;
    throw Object.assign(new Error(msg), { code: 'HTTP_LOGIN_MISSING' });
  }
  return logins;
}

/** The status page, /healthz, /readyz and /metrics, when enabled; its address, or null. */
export async function startHttp(
  cfg: Readonly<GatewayConfig>,
  sources: HttpSources,
  logins: HttpLogins | null,
  log: Logger,
): Promise<{ value: AddressInfo | null; close: Close }> {
  const h = cfg.http;
  if (!h.enabled) return { value: null, close: () => {} };
  const { server, address } = await serveHttp(sources, {
    host: h.host,
    port: h.port,
    cert: h.certFile ? await readFile(h.certFile) : undefined,
    key: h.keyFile ? await readFile(h.keyFile) : undefined,
    logins,
  });
  if (!isLoopback(h.host) && !h.certFile)
    log.warn(
      'the status page is served beyond loopback without TLS: its login travels in clear text; set http.certFile and http.keyFile',
    );
  return {
    value: address,
    close: () => {
      server.close();
      server.closeAllConnections?.();
    },
  };
}
