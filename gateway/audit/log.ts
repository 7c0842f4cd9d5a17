import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlLog } from '../storage/jsonl-log.ts';
import { entryHash, GENESIS, type AuditEntry, type AuditEvent } from './entry.ts';

export const AUDIT_FILE = 'audit.jsonl';

/**
 * The tamper-evident decision log: each entry carries the hash of the one before it.
 * Appends are group-committed; `record` resolves once the entry is on disk.
 */
export class AuditLog {
  private seq = 0;
  private head = GENESIS;
  private readonly log: JsonlLog;

  private constructor(readonly dir: string) {
    this.log = new JsonlLog(join(dir, AUDIT_FILE));
  }

  static async open(dir: string): Promise<AuditLog> {
    await mkdir(dir, { recursive: true });
    const audit = new AuditLog(dir);
    const { tornBytes, tailLines } = await audit.log.openTailOnly();
    const last = lastEntry(tailLines);
    if (last) {
      audit.seq = last.seq;
      audit.head = last.hash;
    }
    if (tornBytes > 0) await audit.record({ type: 'recovery', detail: `cut a torn last entry of ${tornBytes} bytes after an unclean stop` });
    return audit;
  }

  get chainHead(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.head };
  }

  record(event: AuditEvent, now = new Date()): Promise<void> {
    const partial = { seq: ++this.seq, at: now.toISOString(), event, prev: this.head };
    const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
    this.head = entry.hash;
    return this.log.append(entry);
  }

  /** Resolves once everything recorded so far is on disk. */
  drain(): Promise<void> {
    return this.log.drain();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** The newest well-formed entry among the last lines: the log grows for a year, the head is all we need. */
function lastEntry(lines: string[]): AuditEntry | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const e = JSON.parse(lines[i]!) as AuditEntry;
      if (typeof e.seq === 'number' && typeof e.hash === 'string') return e;
    } catch {
      /* a cut-short first line or a corrupt one: keep looking backwards */
    }
  }
  return null;
}
