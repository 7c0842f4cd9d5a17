import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../devices/index.ts';
import { connectDevice, type DeviceCredentials } from './connect.ts';

export const MISDEEDS = [
  'wrong-credentials',
  'oversized-frame',
  'malformed-json',
  'invalid-event',
  'foreign-topic',
  'flapping',
] as const;
export type Misdeed = (typeof MISDEEDS)[number];

export interface MisbehavingOptions extends DeviceCredentials {
  /** another device's id, for publishing where this one may not */
  victimId: string;
  /** bytes of the oversized frame: above the gateway's broker.maxFrameBytes */
  oversizedBytes?: number;
}

/**
 * A device that does one wrong thing, as broken or hostile devices do, and reports what the broker
 * did about it: `refused` (CONNACK not authorized), `disconnected` (the connection was cut), or
 * `accepted` (the broker took the packet; the gateway then drops it with a reason).
 */
export async function misbehave(
  o: MisbehavingOptions,
  what: Misdeed,
): Promise<'refused' | 'disconnected' | 'accepted'> {
  switch (what) {
    case 'wrong-credentials':
      return mqtt
        .connectAsync(o.url, {
          clientId: o.deviceId,
          username: o.deviceId,
          password: `${o.secret}-wrong`,
          reconnectPeriod: 0,
          protocolVersion: 4,
        })
        .then(
          async (c) => (await c.endAsync(true), 'accepted' as const),
          () => 'refused' as const,
        );
    case 'oversized-frame':
      return cutOff(o, (c) => {
        c.publish(deviceTopic(o.deviceId, 'frames'), Buffer.alloc(o.oversizedBytes ?? 3 * 1024 * 1024, 0xff), {
          qos: 0,
        });
        return null;
      });
    case 'malformed-json':
    case 'invalid-event': {
      const payload =
        what === 'malformed-json' ? '{"type":"door",' : JSON.stringify({ type: 'door', at: 'soon', open: 1 });
      // a device that may not publish events (a camera) is cut off: reported, not retried forever
      return cutOff(o, (c) =>
        c.publishAsync(deviceTopic(o.deviceId, 'events'), payload, { qos: 1 }).then(
          () => 'accepted' as const,
          () => 'disconnected' as const,
        ),
      );
    }
    case 'foreign-topic':
      return cutOff(o, (c) =>
        c
          .publishAsync(
            deviceTopic(o.victimId, 'events'),
            JSON.stringify({ type: 'door', at: new Date().toISOString(), open: true }),
            { qos: 1 },
          )
          .then(
            () => 'accepted' as const,
            () => 'disconnected' as const,
          ),
      );
    case 'flapping': {
      // connect and drop without a DISCONNECT, five times in quick succession: the will fires each time
      for (let i = 0; i < 5; i++) {
        const c = await connectDevice({ ...o });
        c.stream.destroy();
        await c.endAsync(true);
      }
      return 'accepted';
    }
  }
}

/** Connects, does `send`, and reports whether the broker cut the connection within 3 s (or `send` says how it went). */
async function cutOff(
  o: DeviceCredentials,
  send: (c: MqttClient) => Promise<'accepted' | 'disconnected'> | null,
): Promise<'accepted' | 'disconnected'> {
  const c = await connectDevice(o);
  c.options.reconnectPeriod = 0;
  const closed = new Promise<'disconnected'>((r) => c.once('close', () => r('disconnected')));
  const sent = send(c);
  const outcome = await Promise.race([
    closed,
    ...(sent ? [sent] : []),
    new Promise<'accepted'>((r) => setTimeout(() => r('accepted'), 3000)),
  ]);
  await c.endAsync(true);
  return outcome;
}
