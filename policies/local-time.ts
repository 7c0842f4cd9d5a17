import type { DAYS } from './schema.ts';

type Day = (typeof DAYS)[number];
const formats = new Map<string, Intl.DateTimeFormat>();
const DAY_OF: Record<string, Day> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

/** Day of the week and minutes since midnight at instant `ms` in time zone `tz` (DST-aware, via ICU). */
export function localTime(ms: number, tz: string): { day: Day; minutes: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(tz, f);
  }
  let day: Day = 'mon';
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'weekday') day = DAY_OF[p.value] ?? 'mon';
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minutes: hour * 60 + minute };
}

/** "HH:MM" as minutes since midnight. */
export function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
