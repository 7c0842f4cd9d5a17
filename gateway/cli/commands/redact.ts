import type { Command } from 'commander';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { createVisionDetector } from '../../../models/index.ts';
import { VisionConfig } from '../../config/schema.ts';
import { encodeRedacted, FrameError, runPipeline, type StageDeps } from '../../pipeline/index.ts';
import { EXIT, UsageError } from '../exit.ts';

const IMAGES = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export function registerRedact(program: Command): void {
  program
    .command('redact')
    .description('run detection and redaction on an image (or every image in a folder) and print the detections as JSON')
    .argument('<in>', 'an image file or a folder of images')
    .argument('<out>', 'the redacted JPEG, or a folder for them')
    .option('--method <method>', 'pixelate, blur or fill', 'pixelate')
    .option('--margin <percent>', 'enlarge every box by this share of its size', '20')
    .action(async (input: string, out: string, o: { method: string; margin: string }) => {
      const vision = VisionConfig.safeParse({ method: o.method, marginPercent: Number(o.margin) });
      if (!vision.success) throw new UsageError(`bad option: ${vision.error.issues[0]?.path.join('.')}: ${vision.error.issues[0]?.message}`);
      const isDir = (await stat(input).catch(() => null))?.isDirectory() ?? false;
      const files = isDir ? (await readdir(input)).filter((f) => IMAGES.has(extname(f).toLowerCase())).sort().map((f) => join(input, f)) : [input];
      if (isDir) await mkdir(out, { recursive: true });
      const detector = await createVisionDetector(vision.data);
      const deps: StageDeps = { detector, method: vision.data.method, marginPercent: vision.data.marginPercent, maxPixels: 8192 * 8192 };
      const report = [];
      let failed = 0;
      for (const file of files) {
        try {
          const raw = await readFile(file);
          const jpeg = raw[0] === 0xff && raw[1] === 0xd8 ? raw : await sharp(raw).toColourspace('srgb').jpeg({ quality: 95 }).toBuffer();
          const { observation, ctx } = await runPipeline(basename(file), jpeg, deps);
          const target = isDir ? join(out, `${basename(file, extname(file))}.jpg`) : out;
          await writeFile(target, await encodeRedacted(ctx));
          report.push({ file, out: target, width: observation.width, height: observation.height, counts: observation.counts, redactions: observation.redactions, detections: observation.detections, models: observation.models });
        } catch (e) {
          failed++;
          report.push({ file, error: e instanceof FrameError ? e.code : 'FAILED', detail: (e as Error).message, out: null });
        }
      }
      await detector.close();
      console.log(JSON.stringify(isDir ? report : report[0], null, 2));
      process.exitCode = failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
    });
}
