import { join } from 'node:path';

/** The most bytes a Unix socket's path may have on Linux (sun_path, less its terminating zero). */
export const MAX_SOCKET_PATH = 107;

/** Where the RTSP cameras' frame sockets live: a directory only the gateway's user can open (mode 0700). */
export function frameSocketDir(dataDir: string): string {
  return join(dataDir, 'rtsp');
}

/**
 * The frame socket of the `index`-th RTSP camera of the config. A path Linux cannot bind is an
 * error that says what to change, at start (and in `veilgate doctor`), not an ffmpeg failing later.
 */
export function frameSocketPath(dataDir: string, index: number): string {
  const path = join(frameSocketDir(dataDir), `${index}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new Error(
      `RTSP cameras need a shorter dataDir: their frame sockets (${path}) would be longer than a Unix socket's ${MAX_SOCKET_PATH} bytes`,
    );
  return path;
}
