import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const VIDEO_EXT = new Set(['.avi', '.mp4', '.mkv', '.mov', '.webm', '.mjpeg', '.ts']);

export interface VideoFrameOptions {
  /** frames per second taken from the clip (default: every frame) */
  fps?: number;
  /** every n-th frame instead of a rate */
  every?: number;
  /** at most this many frames */
  count: number;
}

/** A clip's frames as JPEG (quality ~95), decoded by Debian's ffmpeg, called with an argument array. */
export async function loadVideoFrames(path: string, o: VideoFrameOptions): Promise<Buffer[]> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-video-'));
  const filter = o.every ? [`select=not(mod(n\\,${o.every}))`] : o.fps ? [`fps=${o.fps}`] : [];
  try {
    await promisify(execFile)('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      path,
      ...(filter.length ? ['-vf', filter.join(',')] : []),
      '-vsync',
      'vfr',
      '-frames:v',
      String(o.count),
      '-q:v',
      '2',
      join(dir, 'f%05d.jpg'),
    ]);
    const files = (await readdir(dir)).sort();
    if (!files.length) throw new Error(`ffmpeg found no frames in ${path}`);
    return await Promise.all(files.map((f) => readFile(join(dir, f))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
