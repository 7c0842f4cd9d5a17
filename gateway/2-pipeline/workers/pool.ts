import { Worker } from 'node:worker_threads';
// in this, the main thread, before any worker loads onnxruntime: see the module
import '../../../models/no-telemetry.ts';
import { FrameError, type FrameData, type FrameDropCode } from '../frame.ts';
import type { FrameOutput, FrameRunner } from '../runner.ts';
import type { FrameReply, FrameRequest, FrameSettings, WorkerInit, WorkerReady } from './protocol.ts';

const ENTRY = new URL('./entry.js', import.meta.url);

export interface PoolOptions {
  size: number;
  init: WorkerInit;
  /** a frame not answered within this is withheld, and its worker restarted (it may be stuck) */
  timeoutMs: number;
  /** a worker that died or was restarted, and why */
  onRestart?: (slot: number, reason: string) => void;
  /** raw frames' buffers the workers are done with, to read the next frames into */
  recycle?: (b: ArrayBuffer) => void;
}

interface Pending {
  resolve(o: FrameOutput): void;
  reject(e: FrameError): void;
  timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker | null;
  pending: Map<number, Pending>;
  /** settles when the current (or, while restarting, the next) worker has loaded its models or failed to */
  ready: Promise<WorkerReady>;
  settleReady: (r: WorkerReady) => void;
  models: string[] | null;
  restarts: number;
}

/**
 * Frames are decoded, detected, redacted and encoded in worker threads, so the broker's event loop
 * never waits for a model. A camera always goes to the same worker (its motion gate and region hold
 * live there). A worker that dies or hangs is restarted with back-off; its frames are withheld with
 * a code, never passed on.
 */
export class FramePool implements FrameRunner {
  private readonly slots: Slot[] = [];
  private readonly cameraSlot = new Map<string, number>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    for (let i = 0; i < opts.size; i++) {
      const slot: Slot = {
        worker: null,
        pending: new Map(),
        ready: Promise.resolve({ type: 'ready', models: null, error: 'not started' }),
        settleReady: () => {},
        models: null,
        restarts: 0,
      };
      this.slots.push(slot);
      expectReady(slot);
      this.spawn(i);
    }
  }

  /** Resolves when every worker has tried to load its models: the model ids, or why they are missing. */
  async started(): Promise<{ models: string[] } | { error: string }> {
    const all = await Promise.all(this.slots.map((s) => s.ready));
    const failed = all.find((r) => r.models === null);
    return failed && 'error' in failed ? { error: failed.error } : { models: all[0]!.models ?? [] };
  }

  /** model ids when every worker has its models loaded, else null (frames are then withheld) */
  get models(): string[] | null {
    return this.slots.every((s) => s.models) ? this.slots[0]!.models : null;
  }

  run(deviceId: string, frame: FrameData, at: Date, settings: FrameSettings): Promise<FrameOutput> {
    if (this.closed) return Promise.reject(new FrameError('WORKER_FAILED', 'the gateway is stopping'));
    const index = this.slotFor(deviceId);
    const slot = this.slots[index]!;
    const worker = slot.worker;
    if (!worker) return Promise.reject(new FrameError('WORKER_FAILED', 'the frame worker is restarting'));
    const id = this.nextId++;
    const raw = Buffer.isBuffer(frame) ? null : frame;
    const bytes = raw ? handOver(raw.rgb) : copyOf(frame as Buffer);
    const request: FrameRequest = {
      id,
      deviceId,
      bytes,
      ...(raw ? { raw: { width: raw.width, height: raw.height } } : {}),
      at: at.getTime(),
      settings,
    };
    return new Promise<FrameOutput>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        reject(new FrameError('FRAME_TIMEOUT', `${this.opts.timeoutMs} ms`));
        this.restart(index, `a frame took longer than ${this.opts.timeoutMs} ms`);
      }, this.opts.timeoutMs);
      slot.pending.set(id, { resolve, reject, timer });
      worker.postMessage(request, [bytes]);
    });
  }

  /** Asks every worker to finish and leave; waits up to `graceMs` for them. */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        s.worker = null;
        this.failAll(s, 'WORKER_FAILED', 'the gateway is stopping');
        if (w) await retire(w, graceMs);
      }),
    );
  }

  private slotFor(deviceId: string): number {
    let i = this.cameraSlot.get(deviceId);
    if (i === undefined) {
      // the least loaded worker by cameras assigned
      const load = this.slots.map((_, k) => [...this.cameraSlot.values()].filter((v) => v === k).length);
      i = load.indexOf(Math.min(...load));
      this.cameraSlot.set(deviceId, i);
    }
    return i;
  }

  private spawn(index: number): void {
    const slot = this.slots[index]!;
    const worker = new Worker(ENTRY, { workerData: this.opts.init });
    slot.worker = worker;
    slot.models = null;
    const settle = slot.settleReady;
    worker.on('message', (msg: FrameReply | WorkerReady) => {
      if (msg.type === 'frame' && msg.returned) this.opts.recycle?.(msg.returned);
      if (slot.worker !== worker) return; // a retired worker finishing its last frame
      if (msg.type === 'ready') {
        slot.models = msg.models;
        settle(msg);
        return;
      }
      const p = slot.pending.get(msg.id);
      if (!p) return; // answered after its timeout
      slot.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (!msg.ok) {
        p.reject(new FrameError(msg.code, msg.message));
        return;
      }
      slot.restarts = 0;
      const own = (s: typeof msg.snapshot) =>
        s ? { ...s, jpeg: Buffer.from(s.jpeg.buffer, s.jpeg.byteOffset, s.jpeg.byteLength) } : null;
      p.resolve({
        observation: msg.observation,
        snapshot: own(msg.snapshot),
        preview: own(msg.preview),
        reused: msg.reused,
      });
    });
    const died = (why: string) => {
      if (slot.worker !== worker) return;
      settle({ type: 'ready', models: null, error: why });
      this.restart(index, why);
    };
    worker.on('error', (e) => died(e.message));
    worker.on('exit', (code) => died(`exited with code ${code}`));
  }

  /**
   * Replaces a worker after back-off; its frames in flight are withheld (WORKER_FAILED). The old one
   * is asked to leave, never terminated: terminating a thread inside onnxruntime aborts the process.
   * A worker stuck for good stays behind as an idle thread, which is better than a dead broker.
   */
  restart(index: number, reason: string): void {
    const slot = this.slots[index]!;
    const old = slot.worker;
    if (!old || this.closed) return;
    slot.worker = null;
    slot.models = null;
    expectReady(slot);
    this.failAll(slot, 'WORKER_FAILED', reason);
    void retire(old, 60_000);
    slot.restarts++;
    this.opts.onRestart?.(index, reason);
    const delay = Math.min(30_000, 250 * 2 ** Math.min(slot.restarts - 1, 7));
    setTimeout(() => {
      if (!this.closed) this.spawn(index);
    }, delay).unref();
  }

  private failAll(slot: Slot, code: FrameDropCode, detail: string): void {
    for (const [id, p] of slot.pending) {
      clearTimeout(p.timer);
      slot.pending.delete(id);
      p.reject(new FrameError(code, detail));
    }
  }
}

/** Asks a worker to finish its frames, release its models and exit; resolves when it has, or after `graceMs`. */
function retire(w: Worker, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, graceMs);
    timer.unref();
    w.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      w.postMessage({ type: 'stop' });
    } catch {
      resolve(); // already gone
    }
  });
}

function expectReady(slot: Slot): void {
  slot.ready = new Promise((resolve) => {
    slot.settleReady = resolve;
  });
}

/** A copy the worker can own: an MQTT packet's bytes may share a larger buffer that others still read. */
function copyOf(b: Buffer): ArrayBuffer {
  return new Uint8Array(b).buffer;
}

/**
 * Raw frames are the RTSP reader's alone, each in an ArrayBuffer of its own (raw-frames.ts): moved to
 * the worker without a copy of their megabytes. Anything sharing its ArrayBuffer is copied instead.
 */
function handOver(b: Buffer): ArrayBuffer {
  const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
  return whole ? (b.buffer as ArrayBuffer) : copyOf(b);
}
