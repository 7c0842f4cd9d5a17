import { deviceTopic, type SensorEvent, type SensorEventType } from '../devices/index.ts';
import { connectDevice, disconnectDevice, type DeviceCredentials } from './connect.ts';

export interface SensorSimOptions extends DeviceCredentials {
  type: SensorEventType;
  /** seconds between events */
  every: number;
}

/** One plausible event of each kind; alternates states so a door opens and then closes. */
export function sampleEvent(type: SensorEventType, n: number, at = new Date()): SensorEvent {
  const iso = at.toISOString();
  switch (type) {
    case 'motion':
      return { type, at: iso, active: n % 2 === 0 };
    case 'door':
      return { type, at: iso, open: n % 2 === 0 };
    case 'panic':
      return { type, at: iso, action: n % 2 === 0 ? 'press' : 'release' };
    case 'sound_level':
      return { type, at: iso, dbA: 40 + ((n * 7) % 35) };
    case 'incident': {
      // a wearer walking around a city block
      const location = {
        lat: 51.5072 + ((n * 37) % 100) / 20_000,
        lon: -0.1276 + ((n * 53) % 100) / 20_000,
        accuracyM: 8,
      };
      return { type, at: iso, category: 'welfare', location, officer: `PC${1000 + (n % 7)}` };
    }
  }
}

/** An MQTT sensor: publishes JSON events on devices/{id}/events with QoS 1. */
export async function startSensorSim(o: SensorSimOptions): Promise<{ sent: () => number; stop: () => Promise<void> }> {
  const client = await connectDevice(o);
  const topic = deviceTopic(o.deviceId, 'events');
  let n = 0;
  const send = () => {
    if (!client.connected) return;
    client.publish(topic, JSON.stringify(sampleEvent(o.type, n++)), { qos: 1 });
  };
  send();
  const timer = setInterval(send, o.every * 1000);
  return {
    sent: () => n,
    async stop() {
      clearInterval(timer);
      await disconnectDevice(client, o.deviceId);
    },
  };
}
