import { mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { rtspCameras, type GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { FrameBuffers } from '../../2-pipeline/index.ts';
import { RtspCamera, type RtspCameraEvents } from './rtsp-camera.ts';

/** The most bytes a Unix socket's path may have on Linux (sun_path, less its terminating zero). */
const MAX_SOCKET_PATH = 107;

/**
 * The RTSP cameras of the config, each pulled by its own ffmpeg; closing stops every ffmpeg. Their
 * frames come through Unix sockets in `dataDir/rtsp`, a directory only the gateway's user can open:
 * whoever connects to a socket first gets that camera's unredacted frames.
 */
export async function startRtspCameras(
  cfg: Readonly<GatewayConfig>,
  on: RtspCameraEvents,
  maxPixels: number,
  buffers?: FrameBuffers,
): Promise<{ value: RtspCamera[]; close: Close }> {
  const configured = rtspCameras(cfg);
  const dir = join(cfg.dataDir, 'rtsp');
  if (configured.length > 0) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700); // made earlier with other rights, or by hand
  }
  const cameras = configured.map((c, i) => {
    const socketPath = join(dir, `${i}.sock`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH)
      throw new Error(
        `RTSP cameras need a shorter dataDir: their frame sockets (${socketPath}) would be longer than a Unix socket's ${MAX_SOCKET_PATH} bytes`,
      );
    return new RtspCamera(c.id, c, on, { maxPixels, socketPath, ...(buffers ? { buffers } : {}) });
  });
  for (const c of cameras) c.start();
  return { value: cameras, close: () => Promise.all(cameras.map((c) => c.stop())) };
}
