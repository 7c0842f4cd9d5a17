import type { z } from 'zod';
import sharp from 'sharp';
import { SCENE_PLACES, sceneFrame, SCENES, scenesMissing } from '../fixtures/scenes.ts';
import { vtestFrames, vtestMissing } from '../fixtures/vtest.ts';
import { VisionConfig } from '../gateway/foundation/config/index.ts';
import {
  familyOf,
  headOnly,
  photo,
  faceRedacted,
  VARIANTS,
  type Family,
  type Photo,
} from '../gateway/test/robustness-set.ts';
import { createVisionDetector, type Detector, type RgbImage, type VisionOptions } from '../models/index.ts';
import { DEFAULT_VISION } from '../policies/index.ts';
import { median } from './percentile.ts';

/**
 * the face search as it was before tiles and the upside-down pass, beside the defaults, other tile
 * sizes and the tiles' candidates as they were judged before (config, then what only a bench sets)
 */
const SETTINGS: Array<[string, Partial<z.input<typeof VisionConfig>>, Partial<VisionOptions>?]> = [
  ['whole frame only', { faceTileSize: 0, searchUpsideDown: false }],
  ['+ upside down', { faceTileSize: 0, searchUpsideDown: true }],
  ['defaults (tiles 768, upside down)', {}],
  ["the SSD's look at 64 px, not mirrored (before)", {}, { plainSsdLooks: true }],
  ["the far model's look (before)", {}, { ssdLooks: false }],
  ['and no tight close-ups', {}, { ssdLooks: false, tightCloseUps: false }],
  ['and close-ups in head bands too', {}, { ssdLooks: false, tightCloseUps: false, closeUpsInHeadBands: true }],
  [
    'and small candidates from 0.3',
    {},
    { ssdLooks: false, tightCloseUps: false, closeUpsInHeadBands: true, smallCloseUpFrom: 0.3 },
  ],
  [
    'and no magnified looks',
    {},
    { tightCloseUps: false, closeUpsInHeadBands: true, smallCloseUpFrom: 0.3, magnifiedLooks: false },
  ],
  ['tiles 512, upside down', { faceTileSize: 512 }],
  ['tiles 1280, upside down', { faceTileSize: 1280 }],
];

const FRAMES_1080 = 40;

/** the pipeline's stages around a detector: the default redaction, no frame too large */
const stageDeps = (detector: Detector) => ({ detector, redaction: DEFAULT_VISION.redact, maxPixels: 8192 ** 2 });

/**
 * 1080p frames: forty of vtest.avi two seconds apart, the whole clip with its crowds and its empty
 * moments, scaled up where opencv-doc is installed; else the astronaut in a plain frame
 */
async function frames1080(): Promise<{ imgs: RgbImage[]; source: string }> {
  const raw = vtestMissing() ? [await photo('astronaut.png').png().toBuffer()] : await vtestFrames(20, FRAMES_1080);
  const imgs = await Promise.all(
    Array.from({ length: FRAMES_1080 }, async (_, i) => {
      const { data, info } = await sharp(raw[i % raw.length]!)
        .resize(1920, 1080, { fit: 'cover' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    }),
  );
  return { imgs, source: vtestMissing() ? 'astronaut (opencv-doc missing)' : 'vtest.avi' };
}

/**
 * Issue 26's bench: per face search setting, the robustness set's faces redacted by family, the
 * whole detector's time on each family's frames (at their own sizes), and its time and CPU per
 * 1080p CCTV frame (medians over the 40 frames twice, after a warm-up), the settings in turn frame by
 * frame in one run.
 */
export async function benchRobustness(): Promise<void> {
  console.log('\n## robustness: faces redacted per variant family, and detection time per 1080p frame');
  const variants = await Promise.all(
    Object.entries(VARIANTS).map(async ([name, make]) => {
      const v = await make();
      const { data, info } = await sharp(v.jpeg).raw().toBuffer({ resolveWithObject: true });
      return { name, ...v, img: { data, width: info.width, height: info.height } };
    }),
  );
  const { imgs, source } = await frames1080();
  const detectors = await Promise.all(
    SETTINGS.map(([, over, models = {}]) => createVisionDetector({ ...VisionConfig.parse(over), ...models })),
  );
  // every setting on the same frame in turn, here and below: a busy minute of this shared machine
  // then falls on all of them alike
  const found = detectors.map(() => new Map<Family, [number, number]>());
  const spent = detectors.map(() => new Map<Family, number>());
  for (const v of variants) {
    const family = familyOf(v.name);
    for (const [k, detector] of detectors.entries()) {
      const f = found[k]!.get(family) ?? [0, 0];
      f[0] += (await faceRedacted(v, stageDeps(detector))) ? 1 : 0;
      f[1]++;
      found[k]!.set(family, f);
      // the detector alone on the same frame, its sessions for that size now made
      const t0 = performance.now();
      await detector.detect(v.img);
      spent[k]!.set(family, (spent[k]!.get(family) ?? 0) + performance.now() - t0);
    }
  }
  // sessions for each input shape
  for (const detector of detectors) for (const img of imgs.slice(0, 3)) await detector.detect(img);
  const wall = detectors.map((): number[] => []);
  const cpu = detectors.map((): number[] => []);
  for (let i = 0; i < 2 * imgs.length; i++) {
    for (const [k, detector] of detectors.entries()) {
      const [c0, t0] = [process.cpuUsage(), performance.now()];
      await detector.detect(imgs[i % imgs.length]!);
      wall[k]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[k]!.push((c.user + c.system) / 1000);
    }
  }
  await Promise.all(detectors.map((d) => d.close()));
  const rows = SETTINGS.map(([label], k) => ({
    setting: label,
    ...Object.fromEntries([...found[k]!].map(([fam, [ok, n]]) => [fam, `${ok}/${n}`])),
    '1080p detect ms': Number(median(wall[k]!).toFixed(1)),
    'CPU ms/frame': Number(median(cpu[k]!).toFixed(1)),
  }));
  const times = SETTINGS.map(([label], k) => ({
    setting: label,
    ...Object.fromEntries([...found[k]!].map(([fam, [, n]]) => [fam, Number((spent[k]!.get(fam)! / n).toFixed(1))])),
  }));
  console.table(rows);
  console.log('detection ms per frame of each family (mean over its variants, their own sizes)');
  console.table(times);
  await headsAloneBySize();
  const base = rows[0]!['1080p detect ms'];
  const dflt = rows[2]!['1080p detect ms'];
  console.log(
    `1080p frames: ${source}. Defaults over the whole frame only: ${(dflt / base).toFixed(2)}x the detection time (target: at most 2x)`,
  );
}

/**
 * Heads alone by size with the default search and as it was before: each size at thirty places
 * (spread by a fixed seed over 1080p, 720p and 4K frames, so some faces fall across tiles' edges or
 * at the frame's) in a plain frame, and at six places in each real scene where opencv-doc is
 * installed; counted redacted as in the table. The astronaut's frontal face, and for the SSD's looks
 * camera.png's greyscale profile too: one face alone would flatter whichever look was tuned on it.
 */
async function headsAloneBySize(): Promise<void> {
  for (const [label, models, profile] of [
    ['the defaults', {}, true],
    ["the SSD's look at 64 px, not mirrored (before)", { plainSsdLooks: true }, true],
    ["the far model's look", { ssdLooks: false }, false],
  ] as const) {
    await headsAlone(label, models, 'astronaut.png');
    if (profile) await headsAlone(label, models, 'camera.png');
    await headsInScenes(label, models);
  }
}

async function headsInScenes(label: string, models: Partial<VisionOptions>): Promise<void> {
  const missing = scenesMissing();
  if (missing) return console.log(`heads alone in real scenes: skipped, ${missing}`);
  const detector = await createVisionDetector({ ...VisionConfig.parse({}), ...models });
  const frames = await Promise.all(SCENES.map((s) => sceneFrame(s, 1920, 1080)));
  const counts: string[] = [];
  for (const px of [16, 20, 24, 32]) {
    let redacted = 0;
    for (const frame of frames)
      for (const [x, y] of SCENE_PLACES) {
        const v = await headOnly(1920, 1080, px, x, y, { background: frame });
        redacted += (await faceRedacted(v, stageDeps(detector))) ? 1 : 0;
      }
    counts.push(`${px} px ${redacted}/${frames.length * SCENE_PLACES.length}`);
  }
  await detector.close();
  console.log(`heads alone in ${SCENES.length} real scenes (opencv-doc) at 1080p with ${label}: ${counts.join(', ')}`);
}

async function headsAlone(label: string, models: Partial<VisionOptions>, face: Photo): Promise<void> {
  const detector = await createVisionDetector({ ...VisionConfig.parse({}), ...models });
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sizes = [
    [1920, 1080],
    [1280, 720],
    [3840, 2160],
  ] as const;
  const counts: string[] = [];
  for (const px of [12, 14, 16, 20, 24, 32, 40, 48, 64, 80]) {
    let redacted = 0;
    // the head (twice its face wide and tall at most) inside the frame
    const margin = Math.max(60, 2 * px);
    for (let k = 0; k < 30; k++) {
      const [w, h] = sizes[k % 3]!;
      const v = await headOnly(w, h, px, Math.round(next() * (w - margin)), Math.round(next() * (h - margin)), {
        photo: face,
      });
      redacted += (await faceRedacted(v, stageDeps(detector))) ? 1 : 0;
    }
    counts.push(`${px} px ${redacted}/30`);
  }
  await detector.close();
  console.log(`${face}'s head alone with ${label}, thirty places each in 1080p, 720p and 4K: ${counts.join(', ')}`);
}
