import { availableParallelism } from 'node:os';
import { cameraMasks, cameraOrientation, type GatewayConfig } from '../../foundation/config/index.ts';
import type { Close } from '../../foundation/lifecycle.ts';
import type { Logger } from '../../foundation/log.ts';
import type { FrameRunner } from '../runner.ts';
import type { FrameBuffers } from '../frame-buffers.ts';
import { FramePool } from './pool.ts';

/**
 * The frame workers. libvips threads are shared out among them so that image work never takes the
 * core the broker's event loop needs (vision.threads: auto = cores - 1). Models that cannot be
 * loaded are not a failed start: every frame is then withheld, and the status page says so.
 */
export async function startFramePool(
  cfg: Readonly<GatewayConfig>,
  log: Logger,
  buffers: FrameBuffers,
): Promise<{ value: FramePool; close: Close }> {
  const threads = cfg.vision.threads === 'auto' ? Math.max(1, availableParallelism() - 1) : cfg.vision.threads;
  const workers = cfg.vision.workers;
  const threadsPerWorker = Math.max(1, Math.floor(threads / workers));
  const pool = new FramePool({
    size: workers,
    timeoutMs: cfg.vision.frameTimeoutMs,
    init: {
      vision: cfg.vision,
      masks: cameraMasks(cfg),
      orientation: cameraOrientation(cfg),
      holdFrames: cfg.vision.holdFrames,
      motion: cfg.vision.motion,
      imageThreads: threadsPerWorker,
    },
    recycle: (b) => buffers.give(b),
    onRestart: (slot, reason) =>
      log.error({ worker: slot, reason }, 'frame worker restarted; its frames in flight were withheld'),
  });
  const started = await pool.started();
  if ('error' in started)
    log.error({ err: started.error }, 'models could not be loaded: every camera frame will be withheld');
  else
    log.info(
      { workers, threadsPerWorker, cores: availableParallelism(), models: started.models },
      'frame workers ready',
    );
  return { value: pool, close: () => pool.close() };
}

/** What the status page says when the models are not loaded. */
export function framesWarnings(frames: FrameRunner & { readonly models: string[] | null }): string[] {
  return frames.models ? [] : ['The vision models are not loaded: every camera frame is withheld.'];
}
