import type { Transform } from './schema.ts';

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const UNIT_ORDER = ['second', 'minute', 'hour', 'day'] as const;

/** Applies a field's transform; a value the transform cannot handle is dropped (undefined), never passed raw. */
export function applyTransform(value: unknown, transform: Transform): unknown {
  if (transform.roundTo) {
    if (typeof value !== 'string') return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return undefined;
    const unit = UNIT_MS[transform.roundTo];
    return new Date(Math.floor(ms / unit) * unit).toISOString();
  }
  return value;
}

/** Where rules overlap, the coarser transform wins (strictest rule wins). */
export function strictestTransform(a: Transform | undefined, b: Transform | undefined): Transform | undefined {
  if (!a) return b;
  if (!b) return a;
  const ra = a.roundTo ? UNIT_ORDER.indexOf(a.roundTo) : -1;
  const rb = b.roundTo ? UNIT_ORDER.indexOf(b.roundTo) : -1;
  return ra >= rb ? a : b;
}
