/**
 * When each camera's next redacted snapshot is due. Nothing is due unless the policy in force lets
 * snapshots leave, so with the default policy no frame is ever encoded for upstream.
 */
export class SnapshotSchedule {
  private readonly last = new Map<string, number>();

  constructor(private readonly settings: () => { leave: boolean; everySeconds: number; maxWidth: number } | null) {}

  due(deviceId: string, at: Date): { maxWidth: number } | null {
    const s = this.settings();
    if (!s?.leave) return null;
    const prev = this.last.get(deviceId);
    if (prev !== undefined && at.getTime() - prev < s.everySeconds * 1000) return null;
    this.last.set(deviceId, at.getTime());
    return { maxWidth: s.maxWidth };
  }
}
