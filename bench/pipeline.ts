import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createVisionDetector } from '../models/index.ts';
import { DEFAULT_VISION } from '../policies/index.ts';
import { runPipeline } from '../gateway/2-pipeline/index.ts';
import { VisionConfig } from '../gateway/foundation/config/index.ts';

const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;
const MiB = 1024 * 1024;

/** Real photos as camera frames at a camera's resolution. */
async function frames(width: number, height: number): Promise<Buffer[]> {
  const files = readdirSync(PHOTOS).filter((f) => f.endsWith('.png'));
  return Promise.all(
    files.map((f) =>
      sharp(readFileSync(join(PHOTOS, f)))
        .resize(width, height, { fit: 'cover' })
        .jpeg({ quality: 85 })
        .toBuffer(),
    ),
  );
}

/**
 * The resource budget of one camera: CPU time and wall time per frame through the whole pipeline
 * (decode, both face detectors, redaction, description) with the real models, and resident memory,
 * at the resolutions cameras send. From these, the share of one core a camera at N fps needs.
 */
export async function benchPipeline(): Promise<void> {
  console.log(
    '\n## pipeline: cost of one camera frame (decode, faces, persons and vehicles, plates, redact, describe), real models and photos',
  );
  const rssBefore = process.memoryUsage().rss;
  const detector = await createVisionDetector(VisionConfig.parse({}));
  const rssModels = process.memoryUsage().rss;
  const deps = { detector, redaction: DEFAULT_VISION.redact, maxPixels: 4096 * 4096 };
  console.log(
    `rss ${(rssBefore / MiB).toFixed(0)} MiB before the models, ${(rssModels / MiB).toFixed(0)} MiB with them loaded`,
  );
  console.log('resolution     wall p50 (p90) ms   cpu ms/frame   one core at 5 fps   at 2 fps');
  for (const [w, h] of [
    [640, 480],
    [1280, 720],
    [1920, 1080],
  ] as const) {
    const fs = await frames(w, h);
    for (let i = 0; i < 5; i++) await runPipeline('bench', fs[i % fs.length]!, deps);
    const n = 40;
    const walls: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await runPipeline('bench', fs[i % fs.length]!, deps);
      walls.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / n;
    walls.sort((a, b) => a - b);
    const p = (q: number) => walls[Math.floor(q * (walls.length - 1))]!.toFixed(1);
    console.log(
      `${`${w}x${h}`.padEnd(14)} ${`${p(0.5)} (${p(0.9)})`.padEnd(19)} ${cpuMs.toFixed(1).padEnd(14)} ${`${((cpuMs * 5) / 10).toFixed(0)}%`.padEnd(19)} ${((cpuMs * 2) / 10).toFixed(0)}%`,
    );
  }
  console.log(`rss after the runs ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
  await detector.close();
}
