import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { squareAround } from '../blazeface/close-up.ts';
import { createFaceDetector } from '../blazeface/detector.ts';
import { CATALOGUE, modelPath, type ModelEntry } from '../catalogue.ts';
import type { Detection, RgbImage } from '../image.ts';
import type { ModelIntegrityError } from '../verify.ts';
import { PEOPLE_FREE, peopleFreeFrame, peopleFreeMissing } from '../../fixtures/scenes.ts';
import { ASTRONAUT_FACE, CAMERAMAN_FACE, PHOTOS } from '../test/photos.ts';
import { openFaceSsd, type FaceSsd } from './detector.ts';
import { LOOK_MIN, LOOK_PX, ssdLook } from './look.ts';

let ssd: FaceSsd;
before(async () => {
  ssd = await openFaceSsd();
});
after(() => ssd.close());

/** the faces of the committed photos of people: astronaut.png's frontal, camera.png's a greyscale profile */
const FACES = { 'astronaut.png': ASTRONAUT_FACE, 'camera.png': CAMERAMAN_FACE } as const;

/**
 * The photo scaled so that its face is `px` high, the face's centre at (cx, cy) of a grey 320x240
 * frame; `headAlone`: only the square around the face (as heads alone in the robustness set), no
 * shoulders to help the SSD.
 */
async function smallFace(
  px: number,
  cx: number,
  cy: number,
  { photo = 'astronaut.png', headAlone = false }: { photo?: keyof typeof FACES; headAlone?: boolean } = {},
): Promise<RgbImage> {
  const face = FACES[photo];
  const scale = px / (face.y2 - face.y1);
  const crop = headAlone
    ? { left: face.x1 - 40, top: face.y1 - 50, width: face.x2 - face.x1 + 80, height: face.y2 - face.y1 + 80 }
    : { left: 0, top: 0, width: 512, height: 512 };
  const head = await sharp(join(PHOTOS, photo))
    .removeAlpha()
    .toColourspace('srgb')
    .extract(crop)
    .resize(Math.round(crop.width * scale), Math.round(crop.height * scale))
    .png()
    .toBuffer();
  const left = Math.round(cx - ((face.x1 + face.x2) / 2 - crop.left) * scale);
  const top = Math.round(cy - ((face.y1 + face.y2) / 2 - crop.top) * scale);
  const { data, info } = await sharp({
    create: { width: 320, height: 240, channels: 3, background: { r: 118, g: 122, b: 112 } },
  })
    .composite([{ input: head, left, top }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const at = (img: RgbImage, x: number, y: number) => ({
  x1: x / img.width,
  y1: y / img.height,
  x2: x / img.width,
  y2: y / img.height,
});
/** the LOOK_PX square around (x, y), magnified to the SSD's input */
const square = (img: RgbImage, x: number, y: number) => squareAround(img, at(img, x, y), LOOK_PX, ssd.side);

for (const photo of ['astronaut.png', 'camera.png'] as const)
  for (const px of [12, 14, 16])
    test(`${photo}'s face at ${px} px, looked at from a candidate a few pixels off it, is found where it is`, async () => {
      const img = await smallFace(px, 160, 120, { photo });
      assertOneFaceAt(await ssdLook(ssd, img, at(img, 166, 115)), img, 160, 120, px);
    });

test('a 12 px head alone the SSD sees faint in its square is found in the square mirrored', async () => {
  const img = await smallFace(12, 150, 113, { headAlone: true });
  const look = at(img, 160, 120);
  assert.deepEqual(await ssd.detect(await square(img, 160, 120), LOOK_MIN), [], 'faint in the square as it is');
  assertOneFaceAt(await ssdLook(ssd, img, look), img, 150, 113, 12);
});

function assertOneFaceAt(faces: Detection[], img: RgbImage, x: number, y: number, px: number): void {
  assert.equal(faces.length, 1, JSON.stringify(faces));
  const b = faces[0]!.box;
  const [cx, cy] = [((b.x1 + b.x2) / 2) * img.width, ((b.y1 + b.y2) / 2) * img.height];
  assert.ok(Math.hypot(cx - x, cy - y) < px / 2, `the box's centre ${cx.toFixed(1)},${cy.toFixed(1)} is on the face`);
  const h = (b.y2 - b.y1) * img.height;
  assert.ok(h > px * 0.6 && h < px * 2, `the box is ${h.toFixed(1)} px high for a ${px} px face`);
}

/**
 * What the whole face search (tiles, close-ups and looks) finds in each frame `framesAt` gives for a
 * 1080p and a 4K camera, named by the frame's label and size: the controls must give nothing.
 */
async function facesFound(
  framesAt: (width: number, height: number) => AsyncGenerator<[string, RgbImage]>,
): Promise<string[]> {
  const search = await createFaceDetector({ nearThreshold: 0.6, farThreshold: 0.85, tileSize: 768, upsideDown: true });
  try {
    const found: string[] = [];
    for (const [width, height] of [
      [1920, 1080],
      [3840, 2160],
    ] as const)
      for await (const [label, frame] of framesAt(width, height))
        for (const d of await search.detect(frame))
          found.push(`${label} in ${width}: ${d.model} ${d.score.toFixed(2)}`);
    return found;
  } finally {
    await search.close();
  }
}

// the look is a second opinion on a far-model candidate in a tile: the controls, small in large frames
// where tiles, close-ups and looks all run, must come out with no face
for (const photo of ['coffee.png', 'chelsea.png'])
  test(`${photo} (no person) small in 1080p and 4K frames gives the whole face search, looks included, no face`, async () => {
    const found = await facesFound(async function* (width, height) {
      for (const wide of [48, 96, 192, 384]) {
        const small = await sharp(join(PHOTOS, photo)).removeAlpha().resize(wide).png().toBuffer();
        const { data } = await sharp({
          create: { width, height, channels: 3, background: { r: 118, g: 122, b: 112 } },
        })
          .composite([{ input: small, left: Math.round(width * 0.37), top: Math.round(height * 0.41) }])
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        yield [`${wide} px wide`, { data, width, height }];
      }
    });
    assert.deepEqual(found, []);
  });

test(
  'twenty photos without people (opencv-doc) at 1080p and 4K give the whole face search, looks included, no face',
  { skip: peopleFreeMissing() },
  async () => {
    const found = await facesFound(async function* (width, height) {
      for (const photo of PEOPLE_FREE) yield [photo, await peopleFreeFrame(photo, width, height)];
    });
    assert.deepEqual(found, []);
  },
);

test('a model file changed after start fails the look that loads it, not the process; the look after the fix works', async () => {
  // the catalogue's entry under a file name of this test's own, so the real build is never touched
  const real = CATALOGUE['face-ssd-mobilenetv1-256'];
  const entry: ModelEntry = { ...real, location: { kind: 'build', file: `test-${process.pid}-face-ssd.onnx` } };
  const file = modelPath(entry);
  try {
    const lazy = await openFaceSsd(entry); // builds and verifies the file; no session yet
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length - 100] = bad[bad.length - 100]! ^ 0xff;
    await writeFile(file, bad);
    const input = await square(await smallFace(16, 160, 120), 160, 120);
    await assert.rejects(lazy.detect(input, LOOK_MIN), (err: ModelIntegrityError) => err.code === 'MODEL_INTEGRITY');
    await writeFile(file, good);
    assert.equal((await lazy.detect(input, LOOK_MIN)).length, 1);
    await lazy.close();
  } finally {
    await rm(file, { force: true });
  }
});
