/**
 * Reads ffmpeg's stderr at `-loglevel level+info`: every line starts with its level. The size of
 * the frames ffmpeg will write comes from the output stream's info line (with the scale filter's
 * `-2` only ffmpeg knows it before the first frame); warnings and errors are kept for the message
 * when ffmpeg ends; the rest of the info chatter is dropped.
 */
export class FfmpegLog {
  /** the rawvideo output's frame size, once ffmpeg has said it */
  size: { width: number; height: number } | null = null;
  private partial = '';
  private inOutput = false;
  private problems: string[] = [];

  push(text: string): void {
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = (lines.pop() ?? '').slice(-4000);
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const m = /^\[(\w+)\] ?(.*)$/.exec(line);
    const [level, body] = m ? [m[1]!, m[2]!] : ['error', line];
    // swscale's note on full-range YUV (MJPEG and many cameras' H.264) is not a problem with the stream
    if (/deprecated pixel format used/.test(body)) return;
    if (level !== 'info' && level !== 'verbose' && level !== 'debug') {
      this.problems.push(body);
      if (this.problems.length > 8) this.problems.shift();
      return;
    }
    if (/^Output #0/.test(body)) this.inOutput = true;
    const size = this.inOutput && !this.size && /Stream #0:0.*Video: rawvideo.*?, (\d{1,5})x(\d{1,5})[,\s]/.exec(body);
    if (size) this.size = { width: Number(size[1]), height: Number(size[2]) };
  }

  /** the last warnings and errors, newest last */
  tail(lines = 3): string {
    return this.problems.slice(-lines).join(' | ');
  }

  /** ffmpeg said it could not set up the hardware decoder it was told to use */
  get hardwareFailed(): boolean {
    return this.problems.some((p) =>
      /device creation failed|device setup failed|no device available|hwaccel|hardware|v4l2|cannot load lib/i.test(p),
    );
  }
}
