import { crc32 } from 'node:zlib';
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

const CHECK = ',"c":';

/**
 * A put's line, ending in the CRC-32 of what comes before it: a byte damaged inside the record's own
 * text (a payload string stays valid JSON) is found when the line is read, not sent upstream.
 */
export function putLine(seq: number, entryJson: string): string {
  const body = `{"s":${seq},"e":${entryJson}`;
  return `${body}${CHECK}${crc32(body)}}`;
}

/** Parses one line; null when it is damaged. Puts written before lines had a CRC are read as they are. */
export function parseSegmentLine(text: string): SegmentLine | null {
  let json = text;
  if (text.startsWith('{"s":')) {
    const i = text.lastIndexOf(CHECK);
    const sum = i < 0 ? null : /^(\d{1,10})\}$/.exec(text.slice(i + CHECK.length));
    if (sum) {
      if (crc32(text.slice(0, i)) !== Number(sum[1])) return null;
      json = `${text.slice(0, i)}}`;
    }
  }
  try {
    const r = SegmentLineSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
