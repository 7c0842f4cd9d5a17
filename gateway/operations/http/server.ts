import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DeviceId } from '../../../devices/index.ts';
import { AuthBackoff } from '../../1-inputs/broker/auth-backoff.ts';
import type { HttpLogins } from './logins.ts';
import { STATUS_CSS, STATUS_HTML, STATUS_JS } from './status-page.ts';

/** What the HTTP endpoints read from the gateway. */
export interface HttpSources {
  status(): unknown;
  /** the camera's latest redacted preview, or null; asking for it keeps previews coming for a while */
  preview(deviceId: string): Buffer | null;
  metrics(): Promise<{ contentType: string; body: string }>;
  ready(): { ready: boolean; reasons: string[] };
}

export interface HttpOptions {
  host: string;
  port: number;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** null: bound to loopback, no login; otherwise every page but /healthz and /readyz needs one */
  logins: HttpLogins | null;
}

const MAX_URL = 2048;
const MAX_HEADER_BYTES = 16 * 1024;
const TOO_MANY =
  'too many failed logins from this address: wait and try again (at most 5 minutes), or log in from another address';
const TOO_MANY_AT_ONCE = 'too many logins from this address at once: try again in a moment';
const PREVIEW = /^\/preview\/([^/]+)\.jpg$/;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether a request's Host header names this server: a loopback name or address, or the configured host. */
function hostAllowed(header: string | undefined, configured: string): boolean {
  if (!header) return false;
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  return isLoopback(name) || name === configured;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The status page, health checks and metrics. GET and HEAD only, no request bodies, short URLs,
 * nothing read from disk (so no path can reach a file), and a login beyond loopback.
 */
export async function serveHttp(src: HttpSources, o: HttpOptions): Promise<{ server: Server; address: AddressInfo }> {
  const backoff = new AuthBackoff(5);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      else res.destroy();
    });
  };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.url ?? '').length > MAX_URL) return send(res, 414, 'text/plain', 'URL too long');
    // a page served without a login answers only to its own names: a web page elsewhere that points
    // a name of its own at 127.0.0.1 (DNS rebinding) must not read the status or the metrics
    if (!o.logins && !hostAllowed(req.headers.host, o.host))
      return send(res, 421, 'text/plain', 'this page answers only to its own address (check the Host header)');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'only GET and HEAD', { allow: 'GET, HEAD' });
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding']) {
      res.setHeader('connection', 'close');
      return send(res, 413, 'text/plain', 'requests carry no body');
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'text/plain', 'bad URL');
    }
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (path === '/readyz') {
      const r = src.ready();
      return send(res, r.ready ? 200 : 503, 'text/plain', r.ready ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n`);
    }
    if (o.logins && !(await loggedIn(req, res))) return;
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', STATUS_HTML);
    if (path === '/status.js') return send(res, 200, 'text/javascript; charset=utf-8', STATUS_JS);
    if (path === '/status.css') return send(res, 200, 'text/css; charset=utf-8', STATUS_CSS);
    if (path === '/status.json') return send(res, 200, 'application/json', JSON.stringify(src.status()));
    if (path === '/metrics') {
      const m = await src.metrics();
      return send(res, 200, m.contentType, m.body);
    }
    const p = PREVIEW.exec(path);
    if (p && DeviceId.safeParse(p[1]).success) {
      const jpeg = src.preview(p[1]!);
      return jpeg ? send(res, 200, 'image/jpeg', jpeg) : send(res, 404, 'text/plain', 'no preview yet');
    }
    return send(res, 404, 'text/plain', 'not found');
  }
  async function loggedIn(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const deny = (msg: string) => {
      send(res, 401, 'text/plain', msg, { 'www-authenticate': 'Basic realm="veilgate", charset="UTF-8"' });
      return false;
    };
    const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(req.headers.authorization ?? '');
    if (!m) return deny(backoff.waitFor(address, Date.now()) > 0 ? TOO_MANY : 'login required');
    // counted before the check is awaited: requests sent at once cannot all slip past the back-off
    const outcome = await backoff.check(address, async () => {
      const text = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      return colon > 0 && (await o.logins!.check(text.slice(0, colon), text.slice(colon + 1))) ? true : null;
    });
    if ('reason' in outcome) return deny(outcome.reason === 'busy' ? TOO_MANY_AT_ONCE : TOO_MANY);
    return outcome.result !== null || deny('wrong name or password');
  }
  const server =
    o.cert && o.key
      ? createHttps({ cert: o.cert, key: o.key, maxHeaderSize: MAX_HEADER_BYTES }, handler)
      : createHttp({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxRequestsPerSocket = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return { server, address: server.address() as AddressInfo };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
