import mqtt from 'mqtt';
import { redactUrl, upstreamAuth } from '../uplink/index.ts';
import { fail, msg, ok, warn, type Check } from './result.ts';

/** CONNACK codes of MQTT 3.1.1 that a person can act on */
const REFUSED: Record<number, string> = {
  2: 'the client id was refused',
  4: 'bad user name or password',
  5: 'not authorized',
};

/**
 * Connects to the agency's broker as the config says (URL, credentials, TLS files), under a client
 * id of its own so a running gateway's session is not taken over, and disconnects. Refused
 * credentials fail; an unreachable broker only warns: a box may be offline for days by design.
 */
export const upstream: Check = async (cfg) => {
  const u = cfg.upstream;
  const name = 'upstream';
  const where = redactUrl(u.url);
  try {
    const client = await mqtt.connectAsync(u.url, {
      clientId: `veilgate-${cfg.gatewayId}-doctor`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...upstreamAuth(u),
    });
    await client.endAsync();
    return ok(name, `${where}: connected${u.username ? ` as ${u.username}` : ''}`);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && REFUSED[code])
      return fail(
        name,
        `${where}: ${REFUSED[code]}`,
        'check upstream.username and the password (VEILGATE_UPSTREAM_PASSWORD) with the agency',
      );
    return warn(
      name,
      `${where}: not reachable now (${msg(e)})`,
      'records wait in the outbox until it is; check upstream.url and the network if it should be',
    );
  }
};
