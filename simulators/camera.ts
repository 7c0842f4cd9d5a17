import { deviceTopic } from '../devices/index.ts';
import { connectDevice, disconnectDevice, type DeviceCredentials } from './connect.ts';

export interface CameraSimOptions extends DeviceCredentials {
  frames: Buffer[];
  fps: number;
}

/** An MQTT camera: publishes its frames in a loop as raw JPEG on devices/{id}/frames, QoS 0. */
export async function startCameraSim(o: CameraSimOptions): Promise<{ sent: () => number; stop: () => Promise<void> }> {
  const client = await connectDevice(o);
  const topic = deviceTopic(o.deviceId, 'frames');
  let i = 0;
  const timer = setInterval(() => {
    if (!client.connected) return;
    client.publish(topic, o.frames[i % o.frames.length]!, { qos: 0 });
    i++;
  }, 1000 / o.fps);
  return {
    sent: () => i,
    async stop() {
      clearInterval(timer);
      await disconnectDevice(client, o.deviceId);
    },
  };
}
