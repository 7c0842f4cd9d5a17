import { rtspCameras, type GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import { RtspCamera, type RtspCameraEvents } from './rtsp-camera.ts';

/** The RTSP cameras of the config, each pulled by its own ffmpeg; closing stops every ffmpeg. */
export async function startRtspCameras(
  cfg: Readonly<GatewayConfig>,
  on: RtspCameraEvents,
  maxPixels: number,
): Promise<{ value: RtspCamera[]; close: Close }> {
  const cameras = rtspCameras(cfg).map((c) => new RtspCamera(c.id, c, on, { maxPixels }));
  for (const c of cameras) c.start();
  return { value: cameras, close: () => Promise.all(cameras.map((c) => c.stop())) };
}
