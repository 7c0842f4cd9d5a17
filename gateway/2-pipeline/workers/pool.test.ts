import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_VISION } from '../../../policies/index.ts';
import { VisionConfig } from '../../foundation/config/schema.ts';
import { PHOTOS } from '../../test/harness.ts';
import { changeInside } from '../../test/image-metrics.ts';
import { FrameError } from '../frame.ts';
import { FramePool } from './pool.ts';
import type { FrameSettings, WorkerInit } from './protocol.ts';

const vision = VisionConfig.parse({});
const init: WorkerInit = {
  vision,
  masks: {},
  orientation: {},
  holdFrames: 0,
  motion: { ...vision.motion, enabled: false },
  imageThreads: 1,
};
const settings: FrameSettings = {
  redaction: DEFAULT_VISION.redact,
  maxPixels: 4096 * 4096,
  countThreshold: 0.5,
  snapshot: { maxWidth: 4096 },
  preview: null,
};
const pools: FramePool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));

function pool(
  over: { size?: number; timeoutMs?: number; recycle?: (b: ArrayBuffer) => void } = {},
  restarts: string[] = [],
): FramePool {
  const p = new FramePool({
    size: over.size ?? 1,
    timeoutMs: over.timeoutMs ?? 20_000,
    init,
    onRestart: (_slot, reason) => restarts.push(reason),
    ...(over.recycle ? { recycle: over.recycle } : {}),
  });
  pools.push(p);
  return p;
}

const astronaut = () => sharp(join(PHOTOS, 'astronaut.png')).jpeg({ quality: 90 }).toBuffer();
const FACE = { x1: 173, y1: 74, x2: 277, y2: 178 };

test('a frame worker loads every model and returns the observation and a redacted snapshot', async () => {
  const p = pool();
  const started = await p.started();
  assert.ok('models' in started, JSON.stringify(started));
  assert.deepEqual(p.models, [
    'blazeface-front-128',
    'blazeface-back-256',
    'face-ssd-mobilenetv1-256',
    'ssd-mobilenet-v2-coco-int8',
    'ppocr-v4-det',
  ]);
  const jpeg = await astronaut();
  const out = await p.run('cam-1', jpeg, new Date(), settings);
  assert.equal(out.observation.counts.face, 1);
  assert.equal(out.observation.counts.person, 1);
  assert.ok(out.snapshot, 'the snapshot the settings asked for');
  assert.ok((await changeInside(jpeg, out.snapshot.jpeg, FACE)) > 20, 'the face in the snapshot is obscured');
});

test('a raw frame is moved to its worker without a copy, redacted, and its buffer handed back to read the next frame into', async () => {
  const returned: ArrayBuffer[] = [];
  const p = pool({ recycle: (b) => returned.push(b) });
  const { data, info } = await sharp(join(PHOTOS, 'astronaut.png'))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rgb = Buffer.from(new Uint8Array(data).buffer); // alone in its ArrayBuffer, as the RTSP reader's are
  const out = await p.run('cam-rtsp', { rgb, width: info.width, height: info.height }, new Date(), settings);
  assert.equal(out.observation.counts.face, 1);
  assert.equal(rgb.buffer.byteLength, 0, 'moved to the worker, not copied');
  const jpeg = await astronaut();
  assert.ok((await changeInside(jpeg, out.snapshot!.jpeg, FACE)) > 20, 'the face in the snapshot is obscured');
  assert.equal(returned.length, 1, "the raw frame's buffer comes back");
  assert.equal(returned[0]!.byteLength, info.width * info.height * 3);
  await p.run('cam-mqtt', jpeg, new Date(), settings);
  assert.equal(returned.length, 1, "a JPEG's copy is not handed back: it is no frame's size");
});

test('cameras are spread over the workers and each is answered', async () => {
  const p = pool({ size: 2 });
  await p.started();
  const jpeg = await astronaut();
  const outs = await Promise.all(
    ['a', 'b', 'c', 'd'].map((id) => p.run(id, jpeg, new Date(), { ...settings, snapshot: null })),
  );
  assert.deepEqual(
    outs.map((o) => o.observation.deviceId),
    ['a', 'b', 'c', 'd'],
  );
});

test("cameras sharing one worker each get their own frame's detections and redaction", async () => {
  const p = pool();
  await p.started();
  const [person, cup] = [await astronaut(), await sharp(join(PHOTOS, 'coffee.png')).jpeg({ quality: 90 }).toBuffer()];
  for (let round = 0; round < 3; round++) {
    // in flight together in the one worker, as frames of two cameras are
    const [a, b] = await Promise.all([
      p.run('cam-person', person, new Date(), settings),
      p.run('cam-cup', cup, new Date(), settings),
    ]);
    assert.equal(a.observation.counts.person, 1, `round ${round}: the person camera's person`);
    assert.equal(b.observation.counts.person, 0, `round ${round}: no person in the cup camera's frame`);
    assert.deepEqual(
      b.observation.detections,
      [],
      `round ${round}: the cup camera's frame keeps its own (empty) detections`,
    );
    assert.ok((await changeInside(person, a.snapshot!.jpeg, FACE)) > 20, `round ${round}: the face is obscured`);
  }
});

test('a frame that takes too long is withheld, its worker is restarted, and frames flow again after', async () => {
  const restarts: string[] = [];
  const slow = pool({ timeoutMs: 1 }, restarts);
  await slow.started();
  await assert.rejects(
    slow.run('cam-1', await astronaut(), new Date(), settings),
    (e: FrameError) => e.code === 'FRAME_TIMEOUT',
  );
  assert.equal(restarts.length, 1);
});

test('frames in flight when a worker is replaced are withheld with WORKER_FAILED; the new worker takes the next ones', async () => {
  const restarts: string[] = [];
  const p = pool({}, restarts);
  await p.started();
  const jpeg = await astronaut();
  const inFlight = p.run('cam-1', jpeg, new Date(), settings);
  p.restart(0, 'test');
  await assert.rejects(inFlight, (e: FrameError) => e.code === 'WORKER_FAILED');
  await assert.rejects(
    p.run('cam-1', jpeg, new Date(), settings),
    (e: FrameError) => e.code === 'WORKER_FAILED',
    'withheld, not queued, while restarting',
  );
  await p.started();
  const out = await p.run('cam-1', jpeg, new Date(), settings);
  assert.equal(out.observation.counts.face, 1);
  assert.deepEqual(restarts, ['test']);
});
