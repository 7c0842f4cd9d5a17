import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Backoff } from '../../foundation/backoff.ts';
import type { FrameBuffers, RawFrame } from '../../2-pipeline/index.ts';
import { ffmpegInput, sanitizeFfmpegMessage, type RtspSource } from './ffmpeg-input.ts';
import { FfmpegLog } from './ffmpeg-log.ts';
import { FrameSocket } from './frame-socket.ts';

/** Why an RTSP camera's stream was interrupted. Stable codes: counted, logged and audited. */
export const RTSP_PROBLEM_CODES = {
  RTSP_EXITED: 'ffmpeg ended: the stream failed, was refused or closed; restarting with back-off',
  RTSP_STALLED: 'no frame arrived for stallSeconds; ffmpeg was restarted',
  RTSP_FRAME_TOO_LARGE: 'the frames would have more pixels than a camera frame may have: set a smaller detect size',
  RTSP_HWACCEL_FAILED: 'the hardware decoder could not be used; this camera is decoded in software from now on',
  RTSP_SPAWN_FAILED: 'ffmpeg could not be started (apt-get install ffmpeg)',
} as const;
export type RtspProblemCode = keyof typeof RTSP_PROBLEM_CODES;

export interface RtspCameraEvents {
  frame(cameraId: string, frame: RawFrame): void;
  problem(cameraId: string, code: RtspProblemCode, detail: string): void;
}

export interface RtspCameraOptions {
  ffmpeg?: string;
  /** frames with more pixels are refused (RTSP_FRAME_TOO_LARGE) */
  maxPixels: number;
  backoff?: Backoff;
  /** where ffmpeg listens for the gateway to read the frames: in a directory only the gateway can open */
  socketPath: string;
  /** frames' buffers to use again, handed back by the frame workers */
  buffers: FrameBuffers;
}

/**
 * One RTSP camera: Debian's ffmpeg, spawned with an argument array (no shell) that holds neither the
 * URL nor its credentials (they reach ffmpeg on fd 3), turns the stream into raw RGB frames at the
 * configured rate and detection size, read from a Unix socket in a directory only the gateway can
 * open. When ffmpeg ends or stalls it is restarted with jittered exponential back-off; every
 * interruption is reported with a code, its message cleaned of credentials. A hardware decoder that
 * cannot be set up is dropped for software decoding.
 */
export class RtspCamera {
  readonly stats = {
    starts: 0,
    frames: 0,
    lastFrameAt: 0,
    /** the size frames arrive at (the detection size), once ffmpeg has said it */
    frameSize: null as { width: number; height: number } | null,
    /** decoded in software because the configured hardware decoder failed */
    softwareFallback: false,
    problems: {} as Partial<Record<RtspProblemCode, number>>,
  };
  private proc: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;

  constructor(
    readonly id: string,
    private readonly src: RtspSource,
    private readonly on: RtspCameraEvents,
    private readonly opts: RtspCameraOptions,
  ) {
    this.backoff = opts.backoff ?? new Backoff(1000, 60_000);
  }

  /** Frames arrived within the stall window. */
  get streaming(): boolean {
    return Date.now() - this.stats.lastFrameAt < this.src.stallSeconds * 1000;
  }

  start(): void {
    if (this.stopping || this.proc) return;
    const software = this.stats.softwareFallback;
    const socketPath = this.opts.socketPath;
    rmSync(socketPath, { force: true }); // left by an ffmpeg that was killed: it would refuse to listen
    const { args, script } = ffmpegInput(this.src, socketPath, { software });
    const p = spawn(this.opts.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    this.proc = p;
    this.stats.starts++;
    const startedAt = Date.now();
    let sawFrame = false;
    let stalled = false;
    let failedToSpawn = false;
    let refused = false;
    let sized = false;
    const log = new FfmpegLog();
    const control = p.stdio[3] as Writable;
    control.on('error', () => {}); // ffmpeg may exit before reading it
    control.end(script);
    p.on('error', (e) => {
      failedToSpawn = true;
      this.report('RTSP_SPAWN_FAILED', e.message);
    });
    const frames = new FrameSocket({
      path: socketPath,
      take: (bytes) => this.opts.buffers.take(bytes),
      frame: (rgb) => {
        this.stats.frames++;
        this.stats.lastFrameAt = Date.now();
        if (!sawFrame) {
          sawFrame = true;
          this.backoff.reset();
        }
        this.on.frame(this.id, { rgb, ...log.size! });
      },
    });
    (p.stderr as Readable).on('data', (d: Buffer) => {
      log.push(d.toString('utf8'));
      if (sized || !log.size) return;
      sized = true;
      const { width, height } = log.size;
      this.stats.frameSize = log.size;
      if (width * height > this.opts.maxPixels) {
        refused = true;
        this.report('RTSP_FRAME_TOO_LARGE', `${width}x${height} is more than ${this.opts.maxPixels} pixels`);
        p.kill('SIGKILL');
        return;
      }
      frames.size(width * height * 3);
    });
    const watchdog = setInterval(
      () => {
        const last = Math.max(this.stats.lastFrameAt, startedAt);
        if (Date.now() - last > this.src.stallSeconds * 1000) {
          stalled = true;
          this.report('RTSP_STALLED', `no frame for ${this.src.stallSeconds} s`);
          p.kill('SIGKILL');
        }
      },
      Math.min(1000, (this.src.stallSeconds * 1000) / 4),
    );
    p.on('close', (code, signal) => {
      clearInterval(watchdog);
      frames.close();
      this.proc = null;
      if (this.stopping) return;
      const why = log.tail() ? `: ${sanitizeFfmpegMessage(log.tail(), this.src)}` : '';
      if (!sawFrame && !software && !stalled && log.hardwareFailed) {
        this.stats.softwareFallback = true;
        this.report('RTSP_HWACCEL_FAILED', `hwaccel ${this.src.hwaccel ?? 'auto'}${why}`);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.start();
        }, 0);
        return;
      }
      if (!stalled && !failedToSpawn && !refused) this.report('RTSP_EXITED', `exit ${code ?? signal}${why}`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.start();
      }, this.backoff.next());
    });
  }

  private report(code: RtspProblemCode, detail: string): void {
    this.stats.problems[code] = (this.stats.problems[code] ?? 0) + 1;
    this.on.problem(this.id, code, detail);
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL after 3 s) and any pending restart. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const p = this.proc;
    if (p)
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => p.kill('SIGKILL'), 3000);
        p.once('close', () => {
          clearTimeout(kill);
          resolve();
        });
        p.kill('SIGTERM');
      });
    rmSync(this.opts.socketPath, { force: true }); // ffmpeg removes it only when it ends by itself
  }
}
