import { describeStorageError } from '../storage/describe-error.ts';
import type { AedesOptions, AuthenticateError, PublishPacket, Subscription } from 'aedes';
import { kindAllowsChannel, parseDeviceTopic, DEVICES_ROOT, LOCAL_ROOT, DeviceStatus } from '../../devices/index.ts';
import type { Logger } from '../log.ts';
import type { BrokerHandlers } from './handlers.ts';
import { identityOf, setIdentity } from './identity.ts';

export interface HookOptions {
  allowAnonymous: boolean;
  maxFrameBytes: number;
}

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
export function brokerHooks(h: BrokerHandlers, opts: HookOptions, log: Logger): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  return {
    authenticate(client, username, password, done) {
      if (!username) {
        if (opts.allowAnonymous) {
          setIdentity(client, { role: 'anonymous' });
          return done(null, true);
        }
        return done(refuse('credentials required', NOT_AUTHORIZED), false);
      }
      h.authenticate(username, password ?? Buffer.alloc(0)).then(
        (device) => {
          if (!device) return done(refuse('unknown device or wrong secret', BAD_CREDENTIALS), false);
          setIdentity(client, { role: 'device', deviceId: device.deviceId, kind: device.kind });
          done(null, true);
        },
        (e: Error) => done(refuse(`authentication failed: ${e.message}`, NOT_AUTHORIZED), false),
      );
    },

    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith('$')) return done(new Error('$ topics are reserved for the broker'));
      const who = identityOf(client);
      if (who === null) return done(null); // the broker's own publishes (wills of devices it already checked)
      if (who.role === 'anonymous') {
        if (isUnder(packet.topic, DEVICES_ROOT) || isUnder(packet.topic, LOCAL_ROOT)) return done(new Error('anonymous clients may not publish under devices/ or local/'));
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
        case 'events':
          packet.retain = false;
          h.event(who.deviceId, who.kind, packet.payload as Buffer).then(
            () => done(null),
            (e: Error) => {
              // not stored, so not acknowledged: dropping the connection makes the device send it again
              log.error({ deviceId: who.deviceId, err: describeStorageError(e) }, 'event could not be stored durably: not acknowledged, the device will send it again');
              done(e);
            },
          );
          return;
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
      const who = identityOf(client);
      // devices publish; they have nothing to read here
      if (who?.role === 'device') return done(null, null as unknown as Subscription);
      if (isUnder(sub.topic, LOCAL_ROOT)) return done(null, null as unknown as Subscription);
      done(null, sub);
    },

    authorizeForward(client, packet) {
      if (isUnder(packet.topic, DEVICES_ROOT) && !packet.topic.endsWith('/status')) return null;
      if (identityOf(client)?.role === 'anonymous' && isUnder(packet.topic, LOCAL_ROOT)) return null;
      return packet;
    },
  };
}

function takeFrame(h: BrokerHandlers, deviceId: string, packet: PublishPacket, maxBytes: number, done: (e: Error | null) => void): void {
  const payload = packet.payload as Buffer;
  // blank it before aedes sees it again: whatever it routes, stores or retains holds no image
  packet.payload = Buffer.alloc(0);
  packet.retain = false;
  if (payload.length > maxBytes) h.refused(deviceId, 'frames', 'FRAME_TOO_LARGE', `${payload.length} bytes`);
  else h.frame(deviceId, payload);
  done(null);
}

function isUnder(topic: string, root: string): boolean {
  return topic === root || topic.startsWith(`${root}/`);
}
