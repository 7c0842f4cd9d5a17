import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { loadVideoFrames, VIDEO_EXT } from './video.ts';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Loads every image in a folder (or one file) as JPEG bytes, in name order. */
export async function loadJpegFrames(path: string, quality = 85): Promise<Buffer[]> {
  let files: string[];
  try {
    files = (await readdir(path))
      .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
      .sort()
      .map((f) => join(path, f));
  } catch {
    files = [path];
  }
  const frames: Buffer[] = [];
  for (const f of files) {
    const bytes = await readFile(f);
    const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    frames.push(isJpeg ? bytes : await sharp(bytes).toColourspace('srgb').jpeg({ quality }).toBuffer());
  }
  if (frames.length === 0) throw new Error(`no images in ${path}`);
  return frames;
}

/** A camera's material: a video clip (by extension, through ffmpeg at `fps`), an image folder or one image. */
export async function loadFrames(path: string, o: { fps: number; maxFrames?: number }): Promise<Buffer[]> {
  if (VIDEO_EXT.has(extname(path).toLowerCase()))
    return loadVideoFrames(path, { fps: o.fps, count: o.maxFrames ?? 600 });
  return loadJpegFrames(path);
}
