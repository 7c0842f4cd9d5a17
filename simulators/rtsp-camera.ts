import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// from the installation's folder, so that the bundled gateway (dist/, one level deep too) finds it
const SERVER = new URL('./rtsp/serve.py', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

const ENCODERS = {
  h264: { element: 'x264enc', pkg: 'gstreamer1.0-plugins-ugly' },
  h265: { element: 'x265enc', pkg: 'gstreamer1.0-plugins-bad' },
} as const;

/** Why the RTSP camera simulator cannot run here (with that codec), or null when it can. */
export async function rtspSimMissing(codec: 'mjpeg' | 'h264' | 'h265' = 'mjpeg'): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const encoder = codec === 'mjpeg' ? null : ENCODERS[codec];
  const check = [
    'import sys, gi',
    'gi.require_version("GstRtspServer", "1.0")',
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    ...(encoder ? [`sys.exit(0 if Gst.ElementFactory.find("${encoder.element}") else 3)`] : []),
  ].join('\n');
  const probe = spawn(PYTHON, ['-c', check], { stdio: 'ignore' });
  return new Promise((resolve) => {
    probe.on('error', () => resolve(`${PYTHON} cannot run`));
    probe.on('exit', (code) =>
      resolve(
        code === 0
          ? null
          : code === 3 && encoder
            ? `the ${codec} encoder ${encoder.element} is not installed (apt-get install ${encoder.pkg})`
            : 'gst-rtsp-server is not installed (apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good)',
      ),
    );
  });
}

export interface RtspCameraSimOptions {
  /** JPEG frames to loop over */
  frames: Buffer[];
  fps: number;
  username?: string;
  password?: string;
  /** the port on 127.0.0.1 to serve on; a free one when not given */
  port?: number;
  /** how the stream is encoded: MJPEG (default), or H.264 / H.265 as most cameras send */
  codec?: 'mjpeg' | 'h264' | 'h265';
  /** H.264/H.265: a keyframe every this many frames (default 10) */
  gop?: number;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A real RTSP camera on 127.0.0.1: Debian's gst-rtsp-server serving the frames as an MJPEG/RTP
 * stream, with Basic auth when credentials are given. Speaks only RTSP, like a camera on a pole.
 */
export async function startRtspCameraSim(o: RtspCameraSimOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-rtsp-sim-'));
  await Promise.all(o.frames.map((f, i) => writeFile(join(dir, `${i}.jpg`), f)));
  const port = o.port ?? (await freePort());
  const args = [
    SERVER,
    ...(o.codec ? ['--codec', o.codec] : []),
    ...(o.gop ? ['--gop', String(o.gop)] : []),
    String(port),
    '/stream',
    dir,
    String(o.fps),
    ...(o.username !== undefined ? [o.username, o.password ?? ''] : []),
  ];
  const p = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    p.on('exit', (code) => reject(new Error(`the RTSP simulator exited (${code}): ${err.slice(0, 300)}`)));
    setTimeout(() => reject(new Error('the RTSP simulator did not start within 10 s')), 10_000);
  });
  return {
    url: `rtsp://127.0.0.1:${port}/stream`,
    async stop() {
      const closed = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
