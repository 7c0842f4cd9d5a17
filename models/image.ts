/** A decoded image as the models take it: interleaved 8-bit RGB, row-major. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Box in normalized image coordinates (0..1), x1 < x2, y1 < y2. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export type DetectionClass = 'face' | 'person' | 'vehicle' | 'text';

export interface Detection {
  cls: DetectionClass;
  score: number;
  box: Box;
  /** catalogue id of the model that produced it */
  model: string;
}

export function clampBox(b: Box): Box {
  const c = (v: number) => Math.min(1, Math.max(0, v));
  return { x1: c(b.x1), y1: c(b.y1), x2: c(b.x2), y2: c(b.y2) };
}

/** The box grown by `share` of its width and height on every side, clamped to the image. */
export function growBox(b: Box, share: number): Box {
  const dx = (b.x2 - b.x1) * share;
  const dy = (b.y2 - b.y1) * share;
  return clampBox({ x1: b.x1 - dx, y1: b.y1 - dy, x2: b.x2 + dx, y2: b.y2 + dy });
}

/** the least box holding both */
export function unionBox(a: Box, b: Box): Box {
  return { x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) };
}

/** whether `inner` lies within `outer` */
export function containsBox(outer: Box, inner: Box): boolean {
  return inner.x1 >= outer.x1 && inner.y1 >= outer.y1 && inner.x2 <= outer.x2 && inner.y2 <= outer.y2;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union <= 0 ? 0 : inter / union;
}

/** Greedy non-maximum suppression, per class; the threshold may differ per class. */
export function nms(dets: Detection[], threshold: number | Readonly<Record<DetectionClass, number>>): Detection[] {
  const limit = (c: DetectionClass) => (typeof threshold === 'number' ? threshold : threshold[c]);
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.every((k) => k.cls !== d.cls || iou(k.box, d.box) < limit(d.cls))) kept.push(d);
  }
  return kept;
}
