import { mkdir, chmod } from 'node:fs/promises';
import { rtspCameras, type GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { FrameBuffers } from '../../2-pipeline/index.ts';
import { RtspCamera, type RtspCameraEvents } from './rtsp-camera.ts';
import { frameSocketDir, frameSocketPath } from './socket-path.ts';

/**
 * The RTSP cameras of the config, each pulled by its own ffmpeg; closing stops every ffmpeg. Their
 * frames come through Unix sockets in `dataDir/rtsp`, a directory only the gateway's user can open:
 * whoever connects to a socket first gets that camera's unredacted frames.
 */
export async function startRtspCameras(
  cfg: Readonly<GatewayConfig>,
  on: RtspCameraEvents,
  maxPixels: number,
  buffers: FrameBuffers,
): Promise<{ value: RtspCamera[]; close: Close }> {
  const configured = rtspCameras(cfg);
  const sockets = configured.map((_, i) => frameSocketPath(cfg.dataDir, i)); // a path too long fails here
  if (configured.length > 0) {
    const dir = frameSocketDir(cfg.dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700); // made earlier with other rights, or by hand
  }
  const cameras = configured.map(
    (c, i) => new RtspCamera(c.id, c, on, { maxPixels, socketPath: sockets[i]!, buffers }),
  );
  for (const c of cameras) c.start();
  return { value: cameras, close: () => Promise.all(cameras.map((c) => c.stop())) };
}
