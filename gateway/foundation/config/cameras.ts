import { RTSP_DEFAULTS, type CameraConfig, type GatewayConfig } from './schema.ts';

/** An RTSP camera as ffmpeg is told about it: its id and stream, with the defaults filled in. */
export interface RtspCameraSettings {
  id: string;
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  fps: number;
  stallSeconds: number;
  /** the size frames are analysed at; absent: the source's, at most 1280 wide */
  detect?: { width?: number | undefined; height?: number | undefined } | undefined;
  /** `auto` (ffmpeg picks, or decodes in software), `none`, an ffmpeg -hwaccel method, or `v4l2m2m` */
  hwaccel: string;
  /** decode only keyframes (for cameras analysed at 1 fps or less) */
  keyframesOnly: boolean;
}

/** The cameras the gateway pulls with ffmpeg (those whose source is an RTSP url). */
export function rtspCameras(cfg: Readonly<GatewayConfig>): RtspCameraSettings[] {
  return Object.entries(cfg.cameras)
    .filter(([, c]) => c.source !== 'mqtt')
    .map(([id, c]) => ({
      id,
      url: c.source,
      username: c.username,
      password: c.password,
      fps: c.fps ?? RTSP_DEFAULTS.fps,
      stallSeconds: c.stallSeconds ?? RTSP_DEFAULTS.stallSeconds,
      detect: c.detect,
      hwaccel: c.hwaccel ?? RTSP_DEFAULTS.hwaccel,
      keyframesOnly: c.keyframesOnly ?? RTSP_DEFAULTS.keyframesOnly,
    }));
}

/** Each camera's fixed privacy masks, by id (cameras without any are left out). */
export function cameraMasks(cfg: Readonly<GatewayConfig>): Record<string, CameraConfig['masks']> {
  return Object.fromEntries(
    Object.entries(cfg.cameras)
      .filter(([, c]) => c.masks.length > 0)
      .map(([id, c]) => [id, c.masks]),
  );
}

/** How each camera that is not mounted upright is turned, by id. */
export function cameraOrientation(
  cfg: Readonly<GatewayConfig>,
): Record<string, NonNullable<CameraConfig['orientation']>> {
  return Object.fromEntries(
    Object.entries(cfg.cameras).flatMap(([id, c]) => (c.orientation ? [[id, c.orientation] as const] : [])),
  );
}
