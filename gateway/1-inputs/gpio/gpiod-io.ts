import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { DigitalInputIo } from './io-plugin.ts';

const run = promisify(execFile);

/** libgpiod's command-line tools changed their arguments between 1.x (Debian 12) and 2.x (Debian 13). */
type ToolsVersion = 1 | 2;

export async function gpiodToolsVersion(): Promise<ToolsVersion> {
  const { stdout } = await run('gpiomon', ['--version']);
  const m = /v(\d+)\./.exec(stdout);
  if (!m) throw new Error(`gpiomon --version printed no version: ${stdout.split('\n')[0]}`);
  return Number(m[1]) >= 2 ? 2 : 1;
}

const biasArgs = (bias: 'up' | 'down' | undefined) => (bias ? ['--bias', bias === 'up' ? 'pull-up' : 'pull-down'] : []);

export function gpiomonArgs(v: ToolsVersion, chip: string, pin: number, bias: 'up' | 'down' | undefined): string[] {
  const b = biasArgs(bias);
  // %e is 1 for a rising edge in both versions (falling: 0 in 1.x, 2 in 2.x)
  return v === 1 ? [...b, '--format=%o %e', chip, String(pin)] : ['--chip', chip, ...b, '--format=%o %e', String(pin)];
}

export function gpiogetArgs(v: ToolsVersion, chip: string, pin: number, bias: 'up' | 'down' | undefined): string[] {
  const b = biasArgs(bias);
  return v === 1 ? [...b, chip, String(pin)] : ['--chip', chip, '--numeric', ...b, String(pin)];
}

/** One line of gpiomon output ("17 1") as a level, or null for anything else. */
export function parseEdge(line: string): { pin: number; level: 0 | 1 } | null {
  const m = /^(\d+) (\d)$/.exec(line.trim());
  return m ? { pin: Number(m[1]), level: m[2] === '1' ? 1 : 0 } : null;
}

/**
 * GPIO inputs through the Linux GPIO character device, using Debian's libgpiod tools (package
 * `gpiod`): gpioget for a pin's level when it is opened, then one gpiomon per pin for its edges.
 * No native addon, so nothing to build on the box and nothing to load on x86; the sysfs GPIO
 * interface the old Pi plugins use is deprecated, and the Pi 5 is not supported by them at all.
 * Tools that cannot run are an 'error' event; a chip or line that cannot be opened, or a monitor
 * that dies, is a 'pin-error' with the tool's own message, and that pin is retried with back-off.
 */
export class GpiodIo extends DigitalInputIo {
  private version: ToolsVersion | null = null;
  private readonly monitors = new Map<number, ChildProcess>();
  private readonly retryMs = new Map<number, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly chip: string) {
    super(`gpiod:${chip}`, 1024);
    gpiodToolsVersion().then(
      (v) => {
        this.version = v;
        this.markReady();
      },
      (e: Error) =>
        this.emit('error', new Error(`the libgpiod tools cannot run (install the Debian package gpiod): ${e.message}`)),
    );
  }

  protected watch(pin: number): void {
    // johnny-five sets the bias (digitalWrite) before or after digitalRead: wait for this turn to end
    setImmediate(() => void this.open(pin));
  }

  private async open(pin: number): Promise<void> {
    if (this.closed || this.monitors.has(pin) || !this.version) return;
    const bias = this.bias.get(pin);
    try {
      const { stdout } = await run('gpioget', gpiogetArgs(this.version, this.chip, pin, bias), { timeout: 5000 });
      this.level(pin, stdout.trim().endsWith('1') ? 1 : 0);
    } catch (e) {
      this.pinFailed(
        pin,
        `gpioget ${this.chip} ${pin}: ${firstLine((e as { stderr?: string }).stderr) || (e as Error).message}`,
      );
      this.retry(pin);
      return;
    }
    if (this.closed) return;
    const mon = spawn('gpiomon', gpiomonArgs(this.version, this.chip, pin, bias), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.monitors.set(pin, mon);
    let stderr = '';
    mon.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    createInterface({ input: mon.stdout! }).on('line', (line) => {
      const e = parseEdge(line);
      if (e && e.pin === pin) {
        this.retryMs.delete(pin);
        this.level(pin, e.level);
      }
    });
    mon.on('spawn', () => this.pinOpened(pin));
    mon.on('error', (e) => this.pinFailed(pin, `gpiomon ${this.chip} ${pin}: ${e.message}`));
    mon.on('exit', (code, signal) => {
      this.monitors.delete(pin);
      if (this.closed) return;
      this.pinFailed(
        pin,
        `gpiomon ${this.chip} ${pin} stopped (${signal ?? `exit ${code}`}): ${firstLine(stderr) || 'no message'}`,
      );
      this.retry(pin);
    });
  }

  /** A pin that could not be opened, or whose monitor died, is tried again: 1 s, doubling to 60 s. */
  private retry(pin: number): void {
    if (this.closed) return;
    const ms = Math.min(60_000, (this.retryMs.get(pin) ?? 500) * 2);
    this.retryMs.set(pin, ms);
    const t = setTimeout(() => {
      this.retries.delete(t);
      void this.open(pin);
    }, ms);
    this.retries.add(t);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    const exits = [...this.monitors.values()].map(
      (m) => new Promise((r) => (m.exitCode !== null ? r(null) : m.once('exit', r))),
    );
    for (const m of this.monitors.values()) m.kill('SIGTERM');
    await Promise.all(exits);
  }
}

function firstLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n')[0] ?? '';
}
