import { describeStorageError } from '../../foundation/storage/describe-error.ts';
import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import {
  type DeviceKind,
  kindAllowsChannel,
  parseDeviceTopic,
  isUnderRoot,
  DEVICES_ROOT,
  LOCAL_ROOT,
  DeviceStatus,
} from '../../../devices/index.ts';
import type { Logger } from '../../foundation/log.ts';
import type { BrokerHandlers } from './handlers.ts';
import { identityOf, setIdentity, type Identity } from './identity.ts';
import { AuthBackoff } from './auth-backoff.ts';
import { connectionInfo } from './limits/guarded-connection.ts';
import { grantedFilters, willOf } from './patches/aedes-internals.ts';
import { anonymousMayPublish, storedWillProblem, willProblem, type WillLike } from './wills.ts';

export interface HookOptions {
  allowAnonymous: boolean;
  clientCertAuth?: boolean;
  maxFrameBytes: number;
  limits: {
    sensorPacketBytes: number;
    controlPacketBytes: number;
    maxTopicLevels: number;
    maxSubscriptionsPerClient: number;
    authFailuresBeforeBackoff: number;
  };
}

/** The PUBLISH size each kind of client may send, once known. */
function publishLimit(opts: HookOptions, id: Identity): number {
  if (id.role !== 'device') return opts.limits.controlPacketBytes;
  return id.kind === 'camera' ? opts.maxFrameBytes + 1024 : opts.limits.sensorPacketBytes;
}

function principal(id: string, kind: DeviceKind | 'consumer', credential: string): Identity {
  return kind === 'consumer'
    ? { role: 'consumer', consumerId: id, credential }
    : { role: 'device', deviceId: id, kind, credential };
}

function addressOf(client: Client): string {
  return (
    connectionInfo(client.conn)?.remoteAddress ??
    (client.conn as unknown as { remoteAddress?: string }).remoteAddress ??
    'unknown'
  );
}

function adopt(client: Client, opts: HookOptions, id: Identity): void {
  setIdentity(client, id);
  connectionInfo(client.conn)?.guard.setPublishLimit(publishLimit(opts, id));
}

/**
 * Whose sessions a login may use: a session is taken over by whoever connects with its client id
 * [MQTT-3.1.4-2]. A client id whose first `/`-separated part is a provisioned id belongs to that
 * device or consumer alone, and a local consumer connects only with ids it owns (its id, or
 * `{id}/anything` for several dashboards on one login), so no device can take a consumer's session.
 */
function clientIdProblem(
  clientId: string,
  id: string,
  kind: DeviceKind | 'consumer',
  isRegistered: (id: string) => boolean,
): string | null {
  const owner = clientId.split('/')[0]!;
  if (owner !== id && isRegistered(owner)) return 'this client id belongs to another device or consumer';
  if (kind === 'consumer' && owner !== id)
    return `a local consumer connects with its own id (${id}) or ${id}/<name> as client id`;
  return null;
}

const IDENTIFIER_REJECTED = 2;
const NOT_AUTHORIZED = 5;
const BAD_CREDENTIALS = 4;

function refuse(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The aedes hooks that make it the gateway's front door. Frames are taken out of the broker in
 * authorizePublish and their payload blanked before aedes routes anything; authorizeForward then
 * refuses every device topic but status, so neither frames nor raw events reach any subscriber.
 */
export function brokerHooks(
  h: BrokerHandlers,
  opts: HookOptions,
  log: Logger,
): Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const backoff = new AuthBackoff(opts.limits.authFailuresBeforeBackoff);
  const tooMany = (address: string, waitMs: number) => {
    log.warn({ address, waitMs }, 'login refused: too many failed logins from this address');
    return refuse(`too many failed logins from ${address}; wait ${Math.ceil(waitMs / 1000)} s`, NOT_AUTHORIZED);
  };
  const zeroIdPersistent = new WeakSet<Client>();
  return {
    preConnect(client, packet, done) {
      // aedes makes up an id and accepts; the specification wants 0x02 [MQTT-3.1.3-8]
      if (packet.clientId === '' && packet.clean === false) zeroIdPersistent.add(client);
      done(null, true);
    },

    authenticate(client, username, password, authenticated) {
      // the identity is known once the credentials are: the will it sent is judged against it before
      // aedes stores it, so nothing but a device's own offline status is ever kept or published
      const done = (err: AuthenticateError | null, ok: boolean) => {
        const will = ok ? willOf(client) : null;
        const who = identityOf(client);
        const problem = will && who ? willProblem(who, will) : null;
        if (!problem) return authenticated(err, ok);
        if (who?.role === 'device') h.refused(who.deviceId, 'status', 'WILL_DENIED', problem);
        else log.warn({ clientId: client.id.slice(0, 64), problem }, 'connection refused: will not allowed');
        authenticated(refuse(`will refused: ${problem}`, NOT_AUTHORIZED), false);
      };
      // a device or consumer whose credential (secret or certificate) was accepted
      const admit = (p: { deviceId: string; kind: DeviceKind | 'consumer'; credential: string }) => {
        const taken = clientIdProblem(client.id, p.deviceId, p.kind, h.isDevice);
        if (taken) return done(refuse(taken, NOT_AUTHORIZED), false);
        adopt(client, opts, principal(p.deviceId, p.kind, p.credential));
        done(null, true);
      };
      if (zeroIdPersistent.has(client))
        return done(refuse('a persistent session needs a client id', IDENTIFIER_REJECTED), false);
      const address = addressOf(client);
      const wait = backoff.waitFor(address, Date.now());
      if (wait > 0) return done(tooMany(address, wait), false);
      const cert = opts.clientCertAuth ? (connectionInfo(client.conn)?.clientCertificate ?? null) : null;
      // a certificate from the configured CA (or one of ours that has expired: the device's registry
      // entry says so), its CN a provisioned device's id and its fingerprint that device's current one
      if (!username && cert && cert.cn && (cert.verified || cert.error === 'CERT_HAS_EXPIRED')) {
        const cn = cert.cn;
        h.certificate(cn, cert.fingerprint256, cert.verified ? null : cert.error).then(
          (r) => {
            if ('code' in r) {
              log.warn({ address, cn: cn.slice(0, 64), code: r.code, problem: r.problem }, 'certificate login refused');
              return done(refuse(r.problem, NOT_AUTHORIZED), false);
            }
            admit(r);
          },
          (e: Error) => done(refuse(`authentication failed: ${e.message}`, NOT_AUTHORIZED), false),
        );
        return;
      }
      if (!username && cert && !cert.verified) {
        log.warn(
          { address, cn: cert.cn?.slice(0, 64) ?? null, error: cert.error },
          'certificate login refused: not from the configured CA',
        );
        return done(refuse(`client certificate not accepted: ${cert.error ?? 'not verified'}`, NOT_AUTHORIZED), false);
      }
      if (!username) {
        // a client id that is a device's would let anyone take over that device's session [MQTT-3.1.4-2]
        if (opts.allowAnonymous && !h.isDevice(client.id.split('/')[0]!)) {
          adopt(client, opts, { role: 'anonymous' });
          return done(null, true);
        }
        return done(
          refuse(opts.allowAnonymous ? 'this client id belongs to a device' : 'credentials required', NOT_AUTHORIZED),
          false,
        );
      }
      // counted before the secret is checked: CONNECTs sent at once cannot all slip past the back-off
      void backoff
        .check(address, () => h.authenticate(username, password ?? Buffer.alloc(0)))
        .then(
          (outcome) => {
            if ('reason' in outcome)
              return done(
                outcome.reason === 'backoff'
                  ? tooMany(address, outcome.waitMs)
                  : refuse('too many logins from this address at once; try again in a moment', NOT_AUTHORIZED),
                false,
              );
            if (!outcome.result) {
              log.warn({ address, username: username.slice(0, 64) }, 'login refused: unknown device or wrong secret');
              return done(refuse('unknown device or wrong secret', BAD_CREDENTIALS), false);
            }
            admit(outcome.result);
          },
          (e: Error) => done(refuse(`authentication failed: ${e.message}`, NOT_AUTHORIZED), false),
        )
        .catch((e: Error) => log.error({ err: e.message }, 'login could not be completed'));
    },

    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith('$')) return done(new Error('$ topics are reserved for the broker'));
      const who = identityOf(client);
      if (who === null) {
        // a will stored by an earlier run, published for a client no longer connected: the same rules
        // again (wills.ts); otherwise the gateway's own publishes (derived local/ records)
        const problem =
          'clientId' in packet
            ? storedWillProblem(packet as unknown as WillLike, h.deviceKind, opts.allowAnonymous)
            : null;
        return done(problem ? new Error(`stored will refused: ${problem}`) : null);
      }
      if (who.role === 'consumer') return done(new Error('local consumers are read-only'));
      if (who.role === 'anonymous') {
        if (!anonymousMayPublish(packet.topic))
          return done(new Error('anonymous clients may not publish under devices/ or local/'));
        return done(null);
      }
      const parsed = parseDeviceTopic(packet.topic);
      if (!parsed || parsed.deviceId !== who.deviceId || !kindAllowsChannel(who.kind, parsed.channel)) {
        h.refused(who.deviceId, parsed?.channel ?? 'unknown', 'ACL_DENIED', `may not publish to ${packet.topic}`);
        return done(new Error(`device ${who.deviceId} may not publish to ${packet.topic}`));
      }
      switch (parsed.channel) {
        case 'frames':
          return takeFrame(h, who.deviceId, packet, opts.maxFrameBytes, done);
        case 'events': {
          packet.retain = false;
          // blanked before aedes goes on: a QoS 2 message is stored before its PUBREC, and a lab's
          // persistent subscriber's queue is stored too; neither may hold the raw event
          const payload = packet.payload as Buffer;
          packet.payload = Buffer.alloc(0);
          h.event(who.deviceId, who.kind, payload).then(
            () => done(null),
            (e: Error) => {
              // not stored, so not acknowledged: dropping the connection makes the device send it again
              log.error(
                { deviceId: who.deviceId, err: describeStorageError(e) },
                'event could not be stored durably: not acknowledged, the device will send it again',
              );
              done(e);
            },
          );
          return;
        }
        case 'status': {
          const status = DeviceStatus.safeParse(packet.payload.toString());
          if (!status.success) {
            h.refused(who.deviceId, 'status', 'STATUS_INVALID', 'status must be online or offline');
            return done(new Error('status must be online or offline'));
          }
          h.status(who.deviceId, status.data === 'online');
          return done(null);
        }
      }
    },

    authorizeSubscribe(client, sub, done) {
      if (sub.topic.split('/').length > opts.limits.maxTopicLevels)
        return done(new Error(`a filter may have at most ${opts.limits.maxTopicLevels} levels`));
      // $SYS names every connected client: not for anyone who connects (the gateway's metrics say the same, behind
      // the status page)
      if (sub.topic.startsWith('$')) return done(null, null as unknown as Subscription);
      if (!withinSubscriptionLimit(client, sub.topic, opts.limits.maxSubscriptionsPerClient)) {
        log.warn(
          { clientId: client.id.slice(0, 64), limit: opts.limits.maxSubscriptionsPerClient },
          'connection closed: too many subscriptions',
        );
        return done(new Error(`more than ${opts.limits.maxSubscriptionsPerClient} subscriptions`));
      }
      const who = identityOf(client);
      // devices publish; they have nothing to read here
      if (who?.role === 'device') return done(null, null as unknown as Subscription);
      // local consumers read the derived local/... topics and nothing else; nobody else reads those
      if (who?.role === 'consumer')
        return done(null, isUnderRoot(sub.topic, LOCAL_ROOT) ? sub : (null as unknown as Subscription));
      if (isUnderRoot(sub.topic, LOCAL_ROOT)) return done(null, null as unknown as Subscription);
      done(null, sub);
    },

    authorizeForward(client, packet) {
      if (isUnderRoot(packet.topic, DEVICES_ROOT) && !packet.topic.endsWith('/status')) return null;
      if (identityOf(client)?.role === 'anonymous' && isUnderRoot(packet.topic, LOCAL_ROOT)) return null;
      return packet;
    },
  };
}

/**
 * Filters granted to each client, counted as they are authorized: aedes adds a SUBSCRIBE's filters to
 * `client.subscriptions` only after authorizing all of them, so one packet with thousands of filters
 * would pass a check of that alone. `forgetSubscriptions` (on aedes's unsubscribe event) lowers it.
 */
const granted = new WeakMap<Client, Set<string>>();

function withinSubscriptionLimit(client: Client, topic: string, max: number): boolean {
  let set = granted.get(client);
  if (!set) granted.set(client, (set = new Set(grantedFilters(client))));
  if (set.has(topic)) return true;
  if (set.size >= max) return false;
  set.add(topic);
  return true;
}

export function forgetSubscriptions(client: Client, topics: readonly string[]): void {
  const set = granted.get(client);
  for (const t of topics) set?.delete(t);
}

function takeFrame(
  h: BrokerHandlers,
  deviceId: string,
  packet: PublishPacket,
  maxBytes: number,
  done: (e: Error | null) => void,
): void {
  const payload = packet.payload as Buffer;
  // blank it before aedes sees it again: whatever it routes, stores or retains holds no image
  packet.payload = Buffer.alloc(0);
  packet.retain = false;
  if (payload.length > maxBytes) h.refused(deviceId, 'frames', 'FRAME_TOO_LARGE', `${payload.length} bytes`);
  else h.frame(deviceId, payload);
  done(null);
}
