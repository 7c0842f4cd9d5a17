import { z } from 'zod';
import type { CorruptLine } from '../../foundation/storage/jsonl-log.ts';

/** One line of the outbox log. Read back from disk, so checked: a damaged line is never taken as a record. */
export const OutboxEntrySchema = z.strictObject({
  id: z.string().min(1),
  topic: z.string().min(1),
  payload: z.string(),
  key: z.string(),
  at: z.number(),
});

export const OutboxOpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('put'), e: OutboxEntrySchema }),
  z.strictObject({ op: z.literal('ack'), id: z.string() }),
  z.strictObject({ op: z.literal('drop'), id: z.string(), reason: z.string() }),
]);
export type OutboxOp = z.infer<typeof OutboxOpSchema>;

/** An approved record whose line was damaged: what could be read of it (the id and device, when legible). */
export interface LostRecord {
  id: string | null;
  key: string | null;
  line: number;
}

/**
 * What a damaged line may have been: a put names its record id and device even when the rest is
 * unreadable, so the loss can be audited by id. An ack or drop that is lost only means a record
 * is sent again (receivers drop duplicates by id), so those are not losses.
 */
export function salvage(line: CorruptLine | { line: number; text: string }): LostRecord | 'not-a-put' {
  const t = line.text;
  if (/"op"\s*:\s*"(ack|drop)"/.test(t) && !/"e"\s*:/.test(t)) return 'not-a-put';
  return { id: field(t, 'id'), key: field(t, 'key'), line: line.line };
}

function field(text: string, name: string): string | null {
  const m = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){1,200})"`).exec(text);
  if (!m) return null;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return null;
  }
}
