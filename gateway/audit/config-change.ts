import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../storage/replace-file.ts';
import type { AuditEvent } from './entry.ts';

const SEEN_FILE = 'config-seen.json';

/** Keys whose values are secrets: left out of the hash's input so the log never depends on them. */
const SECRET_KEYS = new Set(['password', 'username', 'keyFile']);

function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !SECRET_KEYS.has(k)).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, withoutSecrets(x)]));
  }
  return v;
}

export function configDigest(cfg: unknown): string {
  return createHash('sha256').update(JSON.stringify(withoutSecrets(cfg))).digest('hex');
}

/** The `config` entry for this start: the effective configuration's digest and whether it changed since the last start. */
export async function configEvent(auditDir: string, cfg: unknown): Promise<{ event: Extract<AuditEvent, { type: 'config' }>; commit(): Promise<void> }> {
  const file = join(auditDir, SEEN_FILE);
  const sha256 = configDigest(cfg);
  let previous: string | null = null;
  try {
    previous = (JSON.parse(await readFile(file, 'utf8')) as { sha256: string }).sha256;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return {
    event: { type: 'config', sha256, changed: previous !== null && previous !== sha256, previous },
    async commit() {
      await replaceFile(file, JSON.stringify({ sha256 }));
    },
  };
}
