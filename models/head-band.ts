import type { Box } from './image.ts';

/**
 * The head band of a person's box (0-1 coordinates in an image `width` by `height`): its top
 * quarter, or half its width where that is more (a head is about the top seventh of a standing
 * person; the rest is room for pose and box error). Every person's head band is redacted, whatever
 * the policy (gateway/2-pipeline/redact/regions.ts), so the face search need not judge what lies
 * wholly inside one.
 */
export function headBand(person: Box, width: number, height: number): Box {
  const bw = (person.x2 - person.x1) * width;
  const bh = (person.y2 - person.y1) * height;
  const h = Math.min(Math.max(bh * 0.25, bw * 0.5), bh);
  return { ...person, y2: person.y1 + h / height };
}
