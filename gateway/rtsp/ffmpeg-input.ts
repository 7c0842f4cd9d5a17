/** What ffmpeg is told about one RTSP camera: arguments without secrets, and a script that holds them. */
export interface FfmpegInput {
  /** the command line: no URL, no credentials (it is visible to every user in `ps`) */
  args: string[];
  /** written to ffmpeg's fd 3 and never to disk: the stream URL with its credentials */
  script: string;
}

export interface RtspSource {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  fps: number;
  stallSeconds: number;
}

/** ffconcat quotes strings in single quotes; a quote inside is written '\'' as in a shell. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export function ffmpegInput(src: RtspSource): FfmpegInput {
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
    '-loglevel',
    'error',
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
    '-vf',
    `fps=${src.fps}`,
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    '-f',
    'image2pipe',
    'pipe:1',
  ];
  return { args, script };
}

/** ffmpeg's messages can name the input URL: take out the credentials before anything logs them. */
export function sanitizeFfmpegMessage(text: string, src: RtspSource): string {
  let out = text.replace(/(rtsps?:\/\/)[^@\s/]*@/g, '$1***@');
  for (const secret of [src.password, src.password && encodeURIComponent(src.password)]) {
    if (secret) out = out.split(secret).join('***');
  }
  return out.slice(0, 500);
}
