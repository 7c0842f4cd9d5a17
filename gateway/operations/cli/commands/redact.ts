import type { Command } from 'commander';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { createVisionDetector } from '../../../../models/index.ts';
import { DEFAULT_VISION, formatSourceError } from '../../../../policies/index.ts';
import { VisionConfig } from '../../../foundation/config/schema.ts';
import { encodeRedacted, FrameError, runPipeline, type Redaction, type StageDeps } from '../../../2-pipeline/index.ts';
import { readPolicyFile } from '../../../3-decision/policy-in-force/index.ts';
import { EXIT, UsageError } from '../exit.ts';

const IMAGES = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export function registerRedact(program: Command): void {
  program
    .command('redact')
    .description(
      'run detection and redaction on an image (or every image in a folder) and print the detections as JSON',
    )
    .argument('<in>', 'an image file or a folder of images')
    .argument('<out>', 'the redacted JPEG, or a folder for them')
    .option('--policy <file>', "redact as this policy's vision.redact says (default: the policy defaults)")
    .option('--method <method>', 'pixelate, blur or fill, for every class (overrides the policy)')
    .option('--margin <percent>', 'enlarge every box by this share of its size (overrides the policy)')
    .action(async (input: string, out: string, o: { policy?: string; method?: string; margin?: string }) => {
      const redaction = await redactionFor(o);
      const isDir = (await stat(input).catch(() => null))?.isDirectory() ?? false;
      const files = isDir
        ? (await readdir(input))
            .filter((f) => IMAGES.has(extname(f).toLowerCase()))
            .sort()
            .map((f) => join(input, f))
        : [input];
      if (isDir) await mkdir(out, { recursive: true });
      const detector = await createVisionDetector(VisionConfig.parse({}));
      const deps: StageDeps = { detector, redaction, maxPixels: 8192 * 8192 };
      const report = [];
      let failed = 0;
      for (const file of files) {
        try {
          const raw = await readFile(file);
          const jpeg =
            raw[0] === 0xff && raw[1] === 0xd8
              ? raw
              : await sharp(raw).toColourspace('srgb').jpeg({ quality: 95 }).toBuffer();
          const { observation, ctx } = await runPipeline(basename(file), jpeg, deps);
          const target = isDir ? join(out, `${basename(file, extname(file))}.jpg`) : out;
          await writeFile(target, await encodeRedacted(ctx));
          report.push({
            file,
            out: target,
            width: observation.width,
            height: observation.height,
            counts: observation.counts,
            redactions: observation.redactions,
            detections: observation.detections,
            models: observation.models,
          });
        } catch (e) {
          failed++;
          report.push({
            file,
            error: e instanceof FrameError ? e.code : 'FAILED',
            detail: (e as Error).message,
            out: null,
          });
        }
      }
      await detector.close();
      console.log(JSON.stringify(isDir ? report : report[0], null, 2));
      process.exitCode = failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
    });
}

async function redactionFor(o: { policy?: string; method?: string; margin?: string }): Promise<Redaction> {
  let redaction: Redaction = DEFAULT_VISION.redact;
  if (o.policy) {
    const r = await readPolicyFile(o.policy);
    if (!r.ok) throw new UsageError(r.errors.map(formatSourceError).join('\n'));
    redaction = r.value.policy.vision.redact;
  }
  const method = o.method;
  if (method !== undefined && method !== 'pixelate' && method !== 'blur' && method !== 'fill')
    throw new UsageError(`--method must be pixelate, blur or fill, not "${method}"`);
  const margin = o.margin === undefined ? undefined : Number(o.margin);
  if (margin !== undefined && !(margin >= 0 && margin <= 100))
    throw new UsageError(`--margin must be a percentage from 0 to 100, not "${o.margin}"`);
  const adjust = <T extends Redaction[keyof Redaction]>(c: T): T => ({
    ...c,
    ...(method ? { method } : {}),
    ...(margin !== undefined ? { marginPercent: margin } : {}),
  });
  return { face: adjust(redaction.face), person: adjust(redaction.person), text: adjust(redaction.text) };
}
