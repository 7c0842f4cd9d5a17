import type { Candidate } from './candidate.ts';
import { clockMinutes, localTime } from './local-time.ts';
import { DAYS, type Rule, type RuleMatch, type TimeWindow } from './schema.ts';

/** A lazily computed local time: most rules have no time window, so most evaluations never need it. */
export type LocalMinute = { day: (typeof DAYS)[number]; minutes: number };
export type LocalClock = () => LocalMinute;

export function localClock(now: number, tz: string): LocalClock {
  let cached: ReturnType<LocalClock> | undefined;
  return () => (cached ??= localTime(now, tz));
}

/** Why `rule` does not apply to the candidate, in plain words; null when it applies. */
export function ruleMismatch(rule: Rule, c: Candidate, clock: LocalClock): string | null {
  const m = rule.match;
  if (!m.recordTypes.includes(c.recordType)) return `it covers ${m.recordTypes.join(', ')}, not ${c.recordType}`;
  if (m.deviceKinds && !m.deviceKinds.includes(c.deviceKind))
    return `it covers ${m.deviceKinds.join(', ')} devices, not a ${c.deviceKind}`;
  if (!deviceMatches(m, c.deviceId)) return `device ${c.deviceId} matches none of ${m.devices!.join(', ')}`;
  if (!zoneMatches(m, c.zone)) {
    if (c.zone === undefined)
      return `device ${c.deviceId} has no zone, and the rule covers zones ${m.zones!.join(', ')}`;
    return `zone ${c.zone} matches none of ${m.zones!.join(', ')}`;
  }
  if (m.times && !timeMatches(m, clock())) {
    const t = clock();
    return `${t.day} ${formatClock(t.minutes)} is outside ${m.times.map(formatWindow).join('; ')}`;
  }
  return null;
}

// One predicate per dimension of a match, shared by the evaluator and the analysis that finds
// which sets of rules can apply together (reach.ts), so both read a match the same way.

export function deviceMatches(m: RuleMatch, deviceId: string): boolean {
  return !m.devices || m.devices.some((p) => globMatches(p, deviceId));
}

export function zoneMatches(m: RuleMatch, zone: string | undefined): boolean {
  return !m.zones || (zone !== undefined && m.zones.some((p) => globMatches(p, zone)));
}

export function timeMatches(m: RuleMatch, t: LocalMinute): boolean {
  return !m.times || m.times.some((w) => inWindow(w, t));
}

function inWindow(w: TimeWindow, t: LocalMinute): boolean {
  const from = clockMinutes(w.from);
  const to = clockMinutes(w.to);
  const onDay = (d: string) => !w.days || (w.days as readonly string[]).includes(d);
  if (from <= to) return onDay(t.day) && t.minutes >= from && t.minutes < to;
  // past midnight: the window belongs to the day it starts on
  const yesterday = DAYS[(DAYS.indexOf(t.day) + 6) % 7]!;
  return (onDay(t.day) && t.minutes >= from) || (onDay(yesterday) && t.minutes < to);
}

function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function formatWindow(w: TimeWindow): string {
  return `${w.days ? `${w.days.join(',')} ` : ''}${w.from}-${w.to}`;
}

const globs = new Map<string, RegExp>();

export function globMatches(pattern: string, value: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    globs.set(pattern, re);
  }
  return re.test(value);
}
