import { z } from 'zod';
import { OutboxEntrySchema } from './replay.ts';

/**
 * One line of a segment file. Read back from disk, so checked: a damaged line is never taken as a
 * record. A put carries its seq, so a damaged line before it cannot shift which record an ack names.
 */
export const SegmentLineSchema = z.union([
  z.strictObject({ s: z.number().int().nonnegative(), e: OutboxEntrySchema }),
  z.strictObject({ ack: z.number().int().nonnegative() }),
  z.strictObject({ drop: z.number().int().nonnegative(), reason: z.string() }),
]);
export type SegmentLine = z.infer<typeof SegmentLineSchema>;

/** Parses one line; null when it is damaged. */
export function parseSegmentLine(text: string): SegmentLine | null {
  try {
    const r = SegmentLineSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
