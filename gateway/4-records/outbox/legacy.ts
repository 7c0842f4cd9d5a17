import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlLog } from '../../foundation/storage/jsonl-log.ts';
import { OutboxOpSchema, salvage, type LostRecord } from './replay.ts';
import type { OutboxEntry } from './outbox.ts';

export interface LegacyOutbox {
  recentPuts: OutboxEntry[];
  tornBytes: number;
  corruptLines: number;
  lost: LostRecord[];
  quarantined: string | null;
}

/**
 * Moves the records of an outbox written by veilgate before segment files (one `outbox.jsonl` of
 * put, ack and drop lines) into the segments, then deletes the old file. A crash midway moves them
 * again at the next start: some records are then sent twice, and receivers drop duplicates by id.
 */
export async function migrateLegacyOutbox(
  dir: string,
  recentSince: number,
  put: (e: OutboxEntry) => Promise<void>,
): Promise<LegacyOutbox | null> {
  const file = join(dir, 'outbox.jsonl');
  if (
    !(await stat(file).then(
      () => true,
      () => false,
    ))
  )
    return null;
  const log = new JsonlLog(file);
  const { lines, tornBytes, corrupt, corruptLines } = await log.open();
  await log.close();
  const pending = new Map<string, OutboxEntry>();
  const settled = new Set<string>();
  const recentPuts: OutboxEntry[] = [];
  let invalid = 0;
  for (const [i, raw] of lines.entries()) {
    const op = OutboxOpSchema.safeParse(raw);
    if (!op.success) {
      invalid++;
      corrupt.push({ line: i + 1 + corruptLines, text: JSON.stringify(raw) ?? '' });
      continue;
    }
    const line = op.data;
    if (line.op === 'put') {
      pending.set(line.e.id, line.e);
      if (line.e.at >= recentSince) recentPuts.push(line.e);
    } else {
      settled.add(line.id);
      pending.delete(line.id);
    }
  }
  const lost: LostRecord[] = [];
  for (const c of corrupt) {
    const what = salvage(c);
    if (what !== 'not-a-put' && !(what.id && (settled.has(what.id) || pending.has(what.id)))) lost.push(what);
  }
  let quarantined: string | null = null;
  if (corrupt.length > 0) {
    quarantined = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(file, quarantined).catch(() => (quarantined = null));
  }
  for (const e of pending.values()) await put(e);
  await rm(file);
  return { recentPuts, tornBytes, corruptLines: corruptLines + invalid, lost, quarantined };
}
