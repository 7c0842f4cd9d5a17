import mqtt from 'mqtt';
import type { GatewayConfig } from '../../foundation/config/index.ts';
import { redactUrl, upstreamAuth, upstreamUrls } from '../../5-uplink/index.ts';
import { fail, msg, ok, warn, type Check } from './result.ts';

/** CONNACK codes of MQTT 3.1.1 that a person can act on */
const REFUSED: Record<number, string> = {
  2: 'the client id was refused',
  4: 'bad user name or password',
  5: 'not authorized',
};

/**
 * Connects to each node of the agency's broker as the config says (URL, credentials, TLS files),
 * under a client id of its own so a running gateway's session is not taken over, and disconnects.
 * Refused credentials fail; an unreachable node only warns: a box may be offline for days by design.
 */
export const upstream: Check = async (cfg) => {
  const u = cfg.upstream;
  const name = 'upstream';
  const results = await Promise.all(upstreamUrls(u).map((url) => probe(cfg.gatewayId, u, url)));
  const refused = results.find((r) => r.refused);
  if (refused)
    return fail(
      name,
      refused.line,
      'check upstream.username and the password (VEILGATE_UPSTREAM_PASSWORD) with the agency',
    );
  const down = results.filter((r) => !r.ok);
  if (down.length > 0)
    return warn(
      name,
      results.map((r) => r.line).join('; '),
      down.length === results.length
        ? 'records wait in the outbox until it is; check upstream.url and the network if it should be'
        : 'the uplink uses the nodes it can reach; check the others with the agency',
    );
  return ok(name, results.map((r) => r.line).join('; '));
};

async function probe(
  gatewayId: string,
  u: GatewayConfig['upstream'],
  url: string,
): Promise<{ ok: boolean; refused: boolean; line: string }> {
  const where = redactUrl(url);
  try {
    const client = await mqtt.connectAsync(url, {
      clientId: `veilgate-${gatewayId}-doctor`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...upstreamAuth(u),
    });
    await client.endAsync();
    return { ok: true, refused: false, line: `${where}: connected${u.username ? ` as ${u.username}` : ''}` };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && REFUSED[code])
      return { ok: false, refused: true, line: `${where}: ${REFUSED[code]}` };
    return { ok: false, refused: false, line: `${where}: not reachable now (${msg(e)})` };
  }
}
