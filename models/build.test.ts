import assert from 'node:assert/strict';
import { rm, stat, writeFile, readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { ensureBuilt, ModelBuildError } from './build.ts';
import { CATALOGUE, modelPath, type ModelEntry } from './catalogue.ts';
import { ModelIntegrityError, readVerifiedModel, verifyModel } from './verify.ts';

// the SSD entry under file names of this test's own, so the real build is never touched
const ssd = CATALOGUE['ssd-mobilenet-v2-coco'];
const entry = (file: string, sha256: string = ssd.sha256): ModelEntry => ({
  ...ssd,
  sha256,
  location: { kind: 'build', file },
});
const files: string[] = [];
after(() => Promise.all(files.map((f) => rm(f, { force: true }))));

test('a converted model is built on first use, and a file changed afterwards refuses to load', async () => {
  const e = entry(`test-${process.pid}-tamper.onnx`);
  files.push(modelPath(e));
  assert.equal(await ensureBuilt(e), 'built');
  assert.equal(await ensureBuilt(e), 'present');
  assert.equal((await readVerifiedModel(e)).length, (await stat(modelPath(e))).size);
  await verifyModel(e);
  const bytes = await readFile(modelPath(e));
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff; // one weight changed
  await writeFile(modelPath(e), bytes);
  await assert.rejects(
    readVerifiedModel(e),
    (err: ModelIntegrityError) => err.code === 'MODEL_INTEGRITY' && err.modelId === ssd.id,
  );
  // and by the check that streams the file (a model whose session is made at first use)
  await assert.rejects(
    verifyModel(e),
    (err: ModelIntegrityError) => err.code === 'MODEL_INTEGRITY' && err.modelId === ssd.id,
  );
});

test("a build whose result does not have the catalogue's sha256 writes nothing", async () => {
  const e = entry(`test-${process.pid}-other.onnx`, '0'.repeat(64));
  files.push(modelPath(e));
  await assert.rejects(
    ensureBuilt(e),
    (err: ModelBuildError) => err.code === 'MODEL_BUILD' && /another package version/.test(err.message),
  );
  await assert.rejects(stat(modelPath(e)), 'no file left behind');
});
