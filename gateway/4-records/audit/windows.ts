import type { AuditEvent, DecisionEvent, DecisionGroup, FrameTally, RefusalGroup } from './entry.ts';

/** ids listed per group and window; beyond it they are counted (a window's entry stays a few KB) */
const MAX_IDS = 500;
/** distinct groups of one kind per device and window; beyond it they are folded into one */
const MAX_GROUPS = 64;
/** open windows at once: a flood of distinct device ids closes them early rather than grow memory */
const MAX_OPEN = 10_000;

interface Window {
  deviceId: string;
  start: number;
  end: number;
  frames: FrameTally | null;
  decisions: Map<string, DecisionGroup>;
  refused: Map<string, RefusalGroup>;
  drops: Map<string, { reason: string; count: number; recordIds: string[]; recordIdsOmitted?: number }>;
  redactions: Record<string, number>;
  redactionMethods: Record<string, string>;
  models: Set<string>;
}

export type FrameOutcome =
  | {
      processed: true;
      reused: boolean;
      redactions: Record<string, number>;
      redactionMethods: Record<string, string>;
      models: string[];
    }
  | { processed: false; code: string };

/**
 * The audit log records decisions, not frames: what happens many times a second (a camera's frames
 * and their decisions, identical refusals, withholds, outbox drops) is counted per device and window
 * and recorded as one `window` entry when the window ends. Windows are aligned to the clock, so every
 * device's window closes in the same second and their entries share one write and one sync.
 * Nothing is left out: every frame, forward and refusal is in a count.
 */
export class AuditWindows {
  private readonly open = new Map<string, Window>();
  private closed: Window[] = [];

  constructor(private readonly windowMs: () => number) {}

  frame(deviceId: string, outcome: FrameOutcome, now = Date.now()): void {
    const w = this.window(deviceId, now);
    const f = (w.frames ??= { seen: 0, processed: 0, reused: 0, withheld: {} });
    f.seen++;
    if (!outcome.processed) {
      f.withheld[outcome.code] = (f.withheld[outcome.code] ?? 0) + 1;
      return;
    }
    f.processed++;
    if (outcome.reused) f.reused++;
    for (const [cls, n] of Object.entries(outcome.redactions)) w.redactions[cls] = (w.redactions[cls] ?? 0) + n;
    Object.assign(w.redactionMethods, outcome.redactionMethods);
    for (const m of outcome.models) w.models.add(m);
  }

  decision(ev: DecisionEvent, now = Date.now()): void {
    const w = this.window(ev.deviceId, now);
    const key = JSON.stringify([
      ev.recordType,
      ev.action,
      ev.reason ?? null,
      ev.rules,
      ev.fields ?? null,
      ev.policy?.sha256 ?? null,
    ]);
    let g = w.decisions.get(key);
    if (!g) {
      g = {
        recordType: ev.recordType,
        action: ev.action,
        rules: ev.rules,
        ...(ev.reason ? { reason: ev.reason } : {}),
        ...(ev.fields ? { fields: ev.fields } : {}),
        policy: ev.policy,
        count: 0,
      };
      if (w.decisions.size < MAX_GROUPS) w.decisions.set(key, g);
      else g = fold(w.decisions, g);
    }
    g.count++;
    if (ev.recordId) addId(g, ev.recordId);
  }

  refusal(deviceId: string, channel: string, code: string, detail: string, now = Date.now()): void {
    const w = this.window(deviceId, now);
    const key = `${channel}\0${code}`;
    const at = new Date(now).toISOString();
    let g = w.refused.get(key);
    if (!g) {
      g = { channel, code, detail: detail.slice(0, 300), count: 0, first: at, last: at };
      if (w.refused.size < MAX_GROUPS) w.refused.set(key, g);
      else g = foldRefusal(w.refused, g);
    }
    g.count++;
    g.last = at;
  }

  outboxDrop(deviceId: string, recordId: string, reason: string, now = Date.now()): void {
    const w = this.window(deviceId, now);
    let g = w.drops.get(reason);
    if (!g) w.drops.set(reason, (g = { reason, count: 0, recordIds: [] }));
    g.count++;
    addId(g, recordId);
  }

  /** Windows that ended by `now` (all of them for Infinity), as audit events, oldest first. */
  take(now: number): AuditEvent[] {
    const out = this.closed;
    this.closed = [];
    for (const [id, w] of this.open) {
      if (w.end > now) continue;
      this.open.delete(id);
      out.push(w);
    }
    return out.sort((a, b) => a.start - b.start).map(toEvent);
  }

  get openWindows(): number {
    return this.open.size;
  }

  private window(deviceId: string, now: number): Window {
    const ms = this.windowMs();
    const start = Math.floor(now / ms) * ms;
    let w = this.open.get(deviceId);
    if (w && w.start !== start) {
      // the device's window ended (or the clock stepped back): it is recorded at the next take
      this.closed.push(w);
      this.open.delete(deviceId);
      w = undefined;
    }
    if (!w) {
      if (this.open.size >= MAX_OPEN) {
        this.closed.push(...this.open.values());
        this.open.clear();
      }
      w = {
        deviceId,
        start,
        end: start + ms,
        frames: null,
        decisions: new Map(),
        refused: new Map(),
        drops: new Map(),
        redactions: {},
        redactionMethods: {},
        models: new Set(),
      };
      this.open.set(deviceId, w);
    }
    return w;
  }
}

function addId(g: { recordIds?: string[]; recordIdsOmitted?: number }, id: string): void {
  g.recordIds ??= [];
  if (g.recordIds.length < MAX_IDS) g.recordIds.push(id);
  else g.recordIdsOmitted = (g.recordIdsOmitted ?? 0) + 1;
}

/** Past MAX_GROUPS distinct decisions (rule sets churning): the rest are counted in one group that says so. */
function fold(groups: Map<string, DecisionGroup>, g: DecisionGroup): DecisionGroup {
  const key = `other\0${g.action}`;
  let other = groups.get(key);
  if (!other)
    groups.set(
      key,
      (other = {
        recordType: '(several)',
        action: g.action,
        rules: [],
        reason: 'MANY_DISTINCT_DECISIONS',
        policy: g.policy,
        count: 0,
      }),
    );
  return other;
}

/** The same for refusals: past MAX_GROUPS distinct channel and code pairs, one group counts the rest. */
function foldRefusal(groups: Map<string, RefusalGroup>, g: RefusalGroup): RefusalGroup {
  const key = 'other';
  let other = groups.get(key);
  if (!other)
    groups.set(
      key,
      (other = {
        channel: '(several)',
        code: 'MANY_DISTINCT_REFUSALS',
        detail: `more distinct refusals than a window keeps apart; the first of them: ${g.code}: ${g.detail}`.slice(
          0,
          300,
        ),
        count: 0,
        first: g.first,
        last: g.last,
      }),
    );
  return other;
}

function toEvent(w: Window): AuditEvent {
  return {
    type: 'window',
    deviceId: w.deviceId,
    from: new Date(w.start).toISOString(),
    to: new Date(w.end).toISOString(),
    ...(w.frames ? { frames: w.frames } : {}),
    ...(w.decisions.size ? { decisions: [...w.decisions.values()] } : {}),
    ...(w.refused.size ? { refused: [...w.refused.values()] } : {}),
    ...(w.drops.size ? { outboxDrops: [...w.drops.values()] } : {}),
    ...(Object.keys(w.redactions).length ? { redactions: w.redactions } : {}),
    ...(Object.keys(w.redactionMethods).length ? { redactionMethods: w.redactionMethods } : {}),
    ...(w.models.size ? { models: [...w.models].sort() } : {}),
  };
}
