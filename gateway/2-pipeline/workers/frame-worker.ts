import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { createVisionDetector, type Detector } from '../../../models/index.ts';
import { FrameError, type Snapshot } from '../frame.ts';
import { MotionGate } from '../motion-gate.ts';
import { RegionHold } from '../redact/hold.ts';
import { runPipeline } from '../run.ts';
import type { FrameReply, FrameRequest, WorkerInit, WorkerReady } from './protocol.ts';

/**
 * A frame worker: its own detector sessions, and the motion gate and region hold of the cameras
 * the pool sends it (a camera always goes to the same worker). Receives JPEGs, answers with
 * observations and JPEGs made from the redacted image only.
 */
const init = workerData as WorkerInit;
const port = parentPort!;
sharp.concurrency(init.imageThreads);
// every frame is new: libvips's operation cache (up to 50 MiB of decoded images) would only hold memory
sharp.cache(false);

let detector: Detector | null = null;
let ready: WorkerReady;
try {
  detector = await createVisionDetector(init.vision);
  ready = { type: 'ready', models: [...detector.models] };
} catch (e) {
  // fail closed: frames are answered MODEL_UNAVAILABLE by the detect stage
  ready = { type: 'ready', models: null, error: (e as Error).message };
}
const hold = new RegionHold(init.holdFrames);
const motion = init.motion.enabled
  ? new MotionGate(init.motion.threshold, init.motion.refreshFrames, init.motion.detectEvery)
  : undefined;

const toTransfer = (s: Snapshot | null): ArrayBuffer[] => (s ? [s.jpeg.buffer as ArrayBuffer] : []);
/** a copy in an ArrayBuffer of its own (small Buffers share Node's pool, which cannot be transferred) */
const own = (s: Snapshot | null): Snapshot | null =>
  s ? { ...s, jpeg: Buffer.from(new Uint8Array(s.jpeg).buffer) } : null;

let inFlight = 0;
let stopping = false;

/**
 * Leaves by itself once its frames are done and its sessions released: terminating a thread while
 * onnxruntime runs in it aborts the whole process (onnxruntime issue #20084; daintree #12577).
 */
async function stopWhenIdle(): Promise<void> {
  if (!stopping || inFlight > 0) return;
  await detector?.close().catch(() => {});
  port.close();
}

port.on('message', (msg: FrameRequest | { type: 'stop' }) => {
  if ('type' in msg) {
    stopping = true;
    void stopWhenIdle();
    return;
  }
  const req = msg;
  inFlight++;
  void (async () => {
    let reply: FrameReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const { observation, snapshot, preview, ctx } = await runPipeline(
        req.deviceId,
        req.raw ? { rgb: Buffer.from(req.bytes), ...req.raw } : Buffer.from(req.bytes),
        {
          detector,
          redaction: req.settings.redaction,
          maxPixels: req.settings.maxPixels,
          countThreshold: req.settings.countThreshold,
          snapshotDue: () => req.settings.snapshot,
          previewDue: () => req.settings.preview,
          masksFor: (id) => init.masks[id] ?? [],
          orientationFor: (id) => init.orientation[id],
          hold,
          ...(motion ? { motion } : {}),
        },
        new Date(req.at),
      );
      // copies of the small JPEGs, so their buffers can be handed over whole
      const snap = own(snapshot);
      const prev = own(preview);
      reply = { type: 'frame', id: req.id, ok: true, observation, snapshot: snap, preview: prev, reused: ctx.reused };
      transfer = [...toTransfer(snap), ...toTransfer(prev)];
    } catch (e) {
      const code = e instanceof FrameError ? e.code : 'REDACT_FAILED';
      // the detail alone: the pool makes a FrameError of it again, which adds the code's description
      const message = e instanceof FrameError ? e.detail : (e as Error).message;
      reply = { type: 'frame', id: req.id, ok: false, code, message };
    }
    // the raw frame's buffer goes back to be read into again (frame-buffers.ts); a JPEG's copy does not
    if (req.raw && req.bytes.byteLength > 0) {
      reply.returned = req.bytes;
      transfer.push(req.bytes);
    }
    port.postMessage(reply, transfer);
    inFlight--;
    await stopWhenIdle();
  })();
});
port.postMessage(ready);
