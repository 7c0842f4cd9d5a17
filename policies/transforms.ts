import { createHmac } from 'node:crypto';
import type { Transform } from './schema.ts';

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const UNIT_ORDER = ['second', 'minute', 'hour', 'day'] as const;
const METRES_PER_DEGREE = 111_320;

/**
 * Applies a field's transform. A value the transform cannot handle (a count where a time was
 * expected) is dropped, never passed on untransformed: returns undefined.
 */
export function applyTransform(value: unknown, t: Transform, salt: string): unknown {
  let v = value;
  if (t.roundTo) v = roundTime(v, UNIT_MS[t.roundTo]);
  if (t.coarsenMeters !== undefined) v = coarsen(v, t.coarsenMeters);
  if (t.suppressBelow !== undefined || t.bucket) v = countBand(v, t.suppressBelow ?? 0, t.bucket);
  if (t.hash) v = typeof v === 'string' ? keyedHash(v, salt) : undefined;
  return v;
}

function roundTime(v: unknown, unit: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : new Date(Math.floor(ms / unit) * unit).toISOString();
}

/** The centre of the grid cell the point falls in: every point in a cell becomes the same point. */
function coarsen(v: unknown, metres: number): { lat: number; lon: number } | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const { lat, lon } = v as { lat?: unknown; lon?: unknown };
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon))
    return undefined;
  const dLat = metres / METRES_PER_DEGREE;
  const latCell = Math.floor(lat / dLat);
  const cLat = (latCell + 0.5) * dLat;
  // the longitude step follows the cell's latitude, not the point's, so a cell is one fixed rectangle
  const dLon = metres / (METRES_PER_DEGREE * Math.max(0.01, Math.cos((cLat * Math.PI) / 180)));
  const cLon = (Math.floor(lon / dLon) + 0.5) * dLon;
  return { lat: round6(cLat), lon: round6(cLon) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Suppression first (a small group is never shown, not even as a range), then bucketing. */
function countBand(
  v: unknown,
  suppressBelow: number,
  bucket: readonly number[] | undefined,
): number | string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return undefined;
  if (v < suppressBelow) return `<${suppressBelow}`;
  if (!bucket) return v;
  let i = bucket.length - 1;
  while (i > 0 && v < bucket[i]!) i--;
  const lo = bucket[i]!;
  const hi = bucket[i + 1];
  if (hi === undefined) return `${lo}+`;
  return hi - lo === 1 ? String(lo) : `${lo}-${hi - 1}`;
}

/** HMAC-SHA256 keyed with the deployment's salt: stable within a deployment, unlinkable across them. */
function keyedHash(v: string, salt: string): string {
  return `h:${createHmac('sha256', salt).update(v).digest('hex').slice(0, 20)}`;
}

/**
 * Where rules overlap, each part of their transforms is combined to the stricter: the coarser
 * rounding and grid, the higher suppression, only the bucket edges both share (every resulting
 * range is a union of ranges of each), and hashing if either hashes.
 */
export function strictestTransform(a: Transform | undefined, b: Transform | undefined): Transform | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Transform = {};
  const round = [a.roundTo, b.roundTo].filter((r) => r !== undefined);
  if (round.length) out.roundTo = round.reduce((x, y) => (UNIT_ORDER.indexOf(x) >= UNIT_ORDER.indexOf(y) ? x : y));
  const max = (x: number | undefined, y: number | undefined) =>
    x === undefined ? y : y === undefined ? x : Math.max(x, y);
  const coarsenMeters = max(a.coarsenMeters, b.coarsenMeters);
  if (coarsenMeters !== undefined) out.coarsenMeters = coarsenMeters;
  const suppressBelow = max(a.suppressBelow, b.suppressBelow);
  if (suppressBelow !== undefined) out.suppressBelow = suppressBelow;
  if (a.bucket && b.bucket) out.bucket = a.bucket.filter((e) => b.bucket!.includes(e));
  else if (a.bucket || b.bucket) out.bucket = a.bucket ?? b.bucket;
  if (a.hash || b.hash) out.hash = true;
  return out;
}
