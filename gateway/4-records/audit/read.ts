import { basename } from 'node:path';
import { readLines } from '../../foundation/storage/jsonl-log.ts';
import type { AuditEntry } from './entry.ts';
import { chainFiles } from './segments.ts';

export interface ChainLine {
  file: string;
  line: number;
  entry: unknown;
}

/**
 * Every line of the chain, oldest first, across the numbered segments and the active file; one file in memory at a
 * time.
 */
export async function* readChain(dir: string): AsyncGenerator<ChainLine, { corrupt: string | null }> {
  const { segments, active } = await chainFiles(dir);
  for (const path of [...segments.map((s) => s.path), active]) {
    const { lines, corruptLines, validBytes, totalBytes } = await readLines(path);
    for (let i = 0; i < lines.length; i++) yield { file: basename(path), line: i + 1, entry: lines[i] };
    if (corruptLines > 0) return { corrupt: `${basename(path)}: ${corruptLines} line(s) are not valid JSON` };
    if (validBytes < totalBytes) return { corrupt: `${basename(path)}: the last entry is incomplete (torn write)` };
  }
  return { corrupt: null };
}

export interface AuditQuery {
  since?: Date | undefined;
  until?: Date | undefined;
  deviceId?: string | undefined;
  types?: readonly string[] | undefined;
}

/** Entries matching a query, for investigators and the transparency report. Does not verify: `verifyAudit` does. */
export async function* queryAudit(dir: string, q: AuditQuery = {}): AsyncGenerator<AuditEntry> {
  const since = q.since?.toISOString();
  const until = q.until?.toISOString();
  for await (const { entry } of readChain(dir)) {
    const e = entry as AuditEntry;
    if (typeof e?.at !== 'string' || typeof e.event !== 'object') continue;
    if (since && e.at < since) continue;
    if (until && e.at >= until) continue;
    if (q.types && !q.types.includes(e.event.type)) continue;
    if (q.deviceId && (!('deviceId' in e.event) || e.event.deviceId !== q.deviceId)) continue;
    yield e;
  }
}
