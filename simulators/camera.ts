import { deviceTopic } from '../devices/index.ts';
import { connectDevice, disconnectDevice, type DeviceCredentials } from './connect.ts';

export interface CameraSimOptions extends DeviceCredentials {
  frames: Buffer[];
  fps: number;
}

/** An MQTT camera: publishes its frames in a loop as raw JPEG on devices/{id}/frames, QoS 0. */
export async function startCameraSim(
  o: CameraSimOptions,
): Promise<{ sent: () => number; show: (frames: Buffer[]) => void; stop: () => Promise<void> }> {
  const client = await connectDevice(o);
  const topic = deviceTopic(o.deviceId, 'frames');
  let frames = o.frames;
  let i = 0;
  let at = 0;
  const timer = setInterval(() => {
    if (!client.connected) return;
    client.publish(topic, frames[at % frames.length]!, { qos: 0 });
    i++;
    at++;
  }, 1000 / o.fps);
  return {
    sent: () => i,
    /** What the camera sees from now on (a scene change: someone walks in), from its first frame. */
    show(next: Buffer[]) {
      frames = next;
      at = 0;
    },
    async stop() {
      clearInterval(timer);
      await disconnectDevice(client, o.deviceId);
    },
  };
}
