import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Backoff } from '../uplink/backoff.ts';
import { ffmpegInput, sanitizeFfmpegMessage, type RtspSource } from './ffmpeg-input.ts';
import { JpegSplitter } from './jpeg-splitter.ts';

/** Why an RTSP camera's stream was interrupted. Stable codes: counted, logged and audited. */
export const RTSP_PROBLEM_CODES = {
  RTSP_EXITED: 'ffmpeg ended: the stream failed, was refused or closed; restarting with back-off',
  RTSP_STALLED: 'no frame arrived for stallSeconds; ffmpeg was restarted',
  RTSP_FRAME_TOO_LARGE: 'ffmpeg produced a frame larger than the frame limit; it was dropped',
  RTSP_SPAWN_FAILED: 'ffmpeg could not be started (apt-get install ffmpeg)',
} as const;
export type RtspProblemCode = keyof typeof RTSP_PROBLEM_CODES;

export interface RtspCameraEvents {
  frame(cameraId: string, jpeg: Buffer): void;
  problem(cameraId: string, code: RtspProblemCode, detail: string): void;
}

export interface RtspCameraOptions {
  ffmpeg?: string;
  maxFrameBytes: number;
  backoff?: Backoff;
}

/**
 * One RTSP camera: Debian's ffmpeg, spawned with an argument array (no shell) that holds neither the
 * URL nor its credentials (they reach ffmpeg on fd 3), turns the stream into JPEGs at the configured
 * rate. When ffmpeg ends or stalls it is restarted with jittered exponential back-off; every
 * interruption is reported with a code, its message cleaned of credentials.
 */
export class RtspCamera {
  readonly stats = { starts: 0, frames: 0, lastFrameAt: 0, problems: {} as Partial<Record<RtspProblemCode, number>> };
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
    const { args, script } = ffmpegInput(this.src);
    const p = spawn(this.opts.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.proc = p;
    this.stats.starts++;
    const startedAt = Date.now();
    let sawFrame = false;
    let stalled = false;
    let failedToSpawn = false;
    let stderrTail = '';
    const splitter = new JpegSplitter(this.opts.maxFrameBytes);
    const control = p.stdio[3] as Writable;
    control.on('error', () => {}); // ffmpeg may exit before reading it
    control.end(script);
    p.on('error', (e) => {
      failedToSpawn = true;
      this.report('RTSP_SPAWN_FAILED', e.message);
    });
    (p.stderr as Readable).on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
    });
    (p.stdout as Readable).on('data', (chunk: Buffer) => {
      const before = splitter.oversized;
      for (const jpeg of splitter.push(chunk)) {
        this.stats.frames++;
        this.stats.lastFrameAt = Date.now();
        if (!sawFrame) {
          sawFrame = true;
          this.backoff.reset();
        }
        this.on.frame(this.id, jpeg);
      }
      if (splitter.oversized > before)
        this.report('RTSP_FRAME_TOO_LARGE', `more than ${this.opts.maxFrameBytes} bytes`);
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
      this.proc = null;
      if (this.stopping) return;
      if (!stalled && !failedToSpawn)
        this.report(
          'RTSP_EXITED',
          `exit ${code ?? signal}${stderrTail ? `: ${sanitizeFfmpegMessage(stderrTail.trim().split('\n').slice(-3).join(' | '), this.src)}` : ''}`,
        );
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
    if (!p) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => p.kill('SIGKILL'), 3000);
      p.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }
}
