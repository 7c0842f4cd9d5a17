/**
 * The latest redacted preview of each camera for the status page: memory only, never written
 * anywhere, made only while the policy and the config allow it and someone has the page open.
 */
export class Previews {
  private readonly latest = new Map<string, { jpeg: Buffer; at: number }>();
  private wantedUntil = 0;

  /** @param allowed whether the config and the policy in force allow previews now */
  constructor(private readonly allowed: () => boolean) {}

  /** Someone is looking: previews are made for the next 30 s. */
  watched(now = Date.now()): void {
    this.wantedUntil = now + 30_000;
  }

  /** Whether the pipeline should make a preview of this camera's frame now: at most one a second. */
  due(deviceId: string, now: number): { maxWidth: number } | null {
    if (now > this.wantedUntil || !this.allowed()) return null;
    const last = this.latest.get(deviceId);
    return last && now - last.at < 1000 ? null : { maxWidth: 640 };
  }

  keep(deviceId: string, jpeg: Buffer, now = Date.now()): void {
    this.latest.set(deviceId, { jpeg, at: now });
  }

  /** checked again when served: a policy that stopped allowing previews hides the last one too */
  get(deviceId: string): Buffer | null {
    this.watched();
    return this.allowed() ? (this.latest.get(deviceId)?.jpeg ?? null) : null;
  }

  has(deviceId: string): boolean {
    return this.latest.has(deviceId);
  }
}
