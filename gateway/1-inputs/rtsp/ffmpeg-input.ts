import type { RtspCameraSettings } from '../../foundation/config/index.ts';

/** What ffmpeg is told about one RTSP camera: arguments without secrets, and a script that holds them. */
export interface FfmpegInput {
  /** the command line: no URL, no credentials (it is visible to every user in `ps`) */
  args: string[];
  /** written to ffmpeg's fd 3 and never to disk: the stream URL with its credentials */
  script: string;
}

/** One RTSP camera's stream as ffmpeg is told about it (hardware decoding and keyframes optional here). */
export type RtspSource = Omit<RtspCameraSettings, 'id' | 'hwaccel' | 'keyframesOnly'> &
  Partial<Pick<RtspCameraSettings, 'hwaccel' | 'keyframesOnly'>>;

export const DEFAULT_DETECT_WIDTH = 1280;

/** ffconcat quotes strings in single quotes; a quote inside is written '\'' as in a shell. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * ffmpeg decodes (in hardware where asked), drops to the analysis rate, scales once to the
 * detection size with a cheap filter, and writes raw RGB frames to the Unix socket `output` it
 * listens on (frame-socket.ts reads them): no JPEG is made on the way in. `software` leaves the
 * hardware decoder out (after it failed).
 */
export function ffmpegInput(src: RtspSource, output: string, opts: { software?: boolean } = {}): FfmpegInput {
  const u = new URL(src.url);
  if (src.username !== undefined) u.username = encodeURIComponent(src.username);
  if (src.password !== undefined) u.password = encodeURIComponent(src.password);
  const script = [
    'ffconcat version 1.0',
    `file ${quote(u.toString())}`,
    'option rtsp_transport tcp',
    // socket I/O timeout (microseconds): a source that stops answering ends ffmpeg, and we restart it
    `option timeout ${Math.round(src.stallSeconds * 1_000_000)}`,
    '',
  ].join('\n');
  const args = [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    // each line with its level: the output's frame size is read from an info line (ffmpeg-log.ts)
    '-loglevel',
    'level+info',
    ...decoderArgs(src, opts.software ?? false),
    '-f',
    'concat',
    '-safe',
    '0',
    '-protocol_whitelist',
    'pipe,rtsp,rtsps,rtp,tcp,udp,tls',
    '-i',
    'pipe:3',
    '-an',
    '-sn',
    '-dn',
    ...(src.keyframesOnly ? ['-fps_mode', 'passthrough'] : []),
    '-vf',
    filters(src),
    '-f',
    'rawvideo',
    // one connection is accepted: the gateway's, in a directory only the gateway can open
    '-listen',
    '1',
    `unix:${output}`,
  ];
  return { args, script };
}

function decoderArgs(src: RtspSource, software: boolean): string[] {
  const out = src.keyframesOnly ? ['-skip_frame', 'nokey'] : [];
  const hw = software ? 'none' : (src.hwaccel ?? 'auto');
  if (hw === 'none') return out;
  // the Raspberry Pi 4's H.264 decoder is a codec of its own in ffmpeg, not a -hwaccel method
  if (hw === 'v4l2m2m') return [...out, '-c:v', 'h264_v4l2m2m'];
  return [...out, '-hwaccel', hw];
}

function filters(src: RtspSource): string {
  const { width, height } = src.detect ?? {};
  const size =
    width && height
      ? `${width}:${height}`
      : width
        ? `${width}:-2`
        : height
          ? `-2:${height}`
          : `'min(${DEFAULT_DETECT_WIDTH},iw)':-2`;
  // keyframes come when they come: take at most fps of them, never duplicate one to fill a rate
  const rate = src.keyframesOnly
    ? `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${(1 / src.fps).toFixed(3)})'`
    : `fps=${src.fps}`;
  // scaled in YUV, then converted at the new size: swscale's converter for that costs less than one
  // pass that scales into RGB (docs/performance.md, "RTSP ingest")
  return `${rate},scale=${size}:flags=fast_bilinear,format=yuv420p,scale=flags=fast_bilinear,format=rgb24`;
}

/** ffmpeg's messages can name the input URL: take out the credentials before anything logs them. */
export function sanitizeFfmpegMessage(text: string, src: RtspSource): string {
  let out = text.replace(/(rtsps?:\/\/)[^@\s/]*@/g, '$1***@');
  for (const secret of [src.password, src.password && encodeURIComponent(src.password)]) {
    if (secret) out = out.split(secret).join('***');
  }
  return out.slice(0, 500);
}
