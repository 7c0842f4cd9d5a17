import { DeviceStatus } from '../events.ts';
import type { DeviceKindSpec } from './channel.ts';

/** A networked camera: raw JPEG frames that never leave the gateway, redacted and described there. */
export const camera = {
  channels: ['frames', 'status'],
  payloads: {
    frames: 'one JPEG image, raw bytes (at most broker.maxFrameBytes); never routed to any client',
    status: DeviceStatus,
  },
  recordTypes: ['counts', 'observation', 'snapshot'],
  description: 'publishes raw JPEG frames; the gateway redacts and describes them on the device',
} as const satisfies DeviceKindSpec;
