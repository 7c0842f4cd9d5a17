import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFile } from '../../foundation/storage/replace-file.ts';
import { DamagedFileError, readStateFile, setAside } from '../../foundation/storage/state-file.ts';
import type { AuditEvent } from './entry.ts';

const SEEN_FILE = 'config-seen.json';

/** Keys whose values are secrets: left out of the hash's input so the log never depends on them. */
const SECRET_KEYS = new Set(['password', 'username', 'keyFile']);

function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !SECRET_KEYS.has(k))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, withoutSecrets(x)]),
    );
  }
  return v;
}

export function configDigest(cfg: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(withoutSecrets(cfg)))
    .digest('hex');
}

const SeenSchema = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * The `config` entry for this start: the effective configuration's digest and whether it changed since
 * the last start. A damaged record of the last start is set aside (`damaged` says so): the entry then
 * has no previous digest, and nothing else depends on it.
 */
export async function configEvent(
  auditDir: string,
  cfg: unknown,
): Promise<{
  event: Extract<AuditEvent, { type: 'config' }>;
  commit(): Promise<void>;
  damaged: Extract<AuditEvent, { type: 'recovery' }> | null;
}> {
  const file = join(auditDir, SEEN_FILE);
  const sha256 = configDigest(cfg);
  let previous: string | null = null;
  let damaged: Extract<AuditEvent, { type: 'recovery' }> | null = null;
  try {
    previous = (await readStateFile(file, SeenSchema, ''))?.sha256 ?? null;
  } catch (e) {
    if (!(e instanceof DamagedFileError)) throw e;
    damaged = {
      type: 'recovery',
      detail: `${SEEN_FILE} was damaged (${e.problem}); set aside as ${await setAside(file)}: whether the configuration changed since the last start is not known`,
    };
  }
  return {
    damaged,
    event: { type: 'config', sha256, changed: previous !== null && previous !== sha256, previous },
    async commit() {
      await replaceFile(file, JSON.stringify({ sha256 }));
    },
  };
}
