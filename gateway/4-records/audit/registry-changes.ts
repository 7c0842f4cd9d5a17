import { join } from 'node:path';
import { z } from 'zod';
import { replaceFile } from '../../foundation/storage/replace-file.ts';
import { DamagedFileError, readStateFile, setAside } from '../../foundation/storage/state-file.ts';
import type { AuditEvent } from './entry.ts';

/** What the audit log last recorded of each provisioned identity. No secrets: only when they were set. */
const SeenSchema = z.record(
  z.string(),
  z.strictObject({
    kind: z.string(),
    zone: z.string().nullable(),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
  }),
);
type Seen = z.infer<typeof SeenSchema>;

interface RegistryEntry {
  id: string;
  kind: string;
  zone?: string | undefined;
  createdAt: string;
  rotatedAt?: string | undefined;
}

const SEEN_FILE = 'registry-seen.json';

/** The device events that turn the last recorded state into the current registry. Pure. */
export function registryChanges(seen: Seen, now: readonly RegistryEntry[]): Extract<AuditEvent, { type: 'device' }>[] {
  const out: Extract<AuditEvent, { type: 'device' }>[] = [];
  const current = new Set(now.map((d) => d.id));
  for (const id of Object.keys(seen).sort())
    if (!current.has(id)) out.push({ type: 'device', action: 'removed', deviceId: id });
  for (const d of now) {
    const was = seen[d.id];
    const zone = d.zone ?? null;
    if (!was || was.createdAt !== d.createdAt) {
      if (was) out.push({ type: 'device', action: 'removed', deviceId: d.id });
      out.push({ type: 'device', action: 'added', deviceId: d.id, kind: d.kind, ...(zone ? { zone } : {}) });
      continue;
    }
    if ((d.rotatedAt ?? null) !== was.rotatedAt) out.push({ type: 'device', action: 'rotated', deviceId: d.id });
    if (zone !== was.zone) out.push({ type: 'device', action: 'zone-changed', deviceId: d.id, zone });
  }
  return out;
}

/**
 * Records in the audit log every change to the device registry since the last call (the CLI edits
 * the registry; the gateway, the log's only writer, records what changed: at once while it runs,
 * at its next start otherwise). The state is saved after the events are on disk, so a crash in
 * between records a change twice, never not at all.
 */
export async function auditRegistryChanges(
  auditDir: string,
  registry: readonly RegistryEntry[],
  record: (e: AuditEvent) => Promise<void>,
): Promise<number> {
  const file = join(auditDir, SEEN_FILE);
  let seen: Seen = {};
  try {
    seen = (await readStateFile(file, SeenSchema, '')) ?? {};
  } catch (e) {
    if (!(e instanceof DamagedFileError)) throw e;
    // every device is then recorded again as added: more entries, never a change left out
    await record({
      type: 'recovery',
      detail: `${SEEN_FILE} was damaged (${e.problem}); set aside as ${await setAside(file)}: every device is recorded again`,
    });
  }
  const changes = registryChanges(seen, registry);
  if (changes.length === 0) return 0;
  for (const c of changes) await record(c);
  const next: Seen = Object.fromEntries(
    registry.map((d) => [
      d.id,
      { kind: d.kind, zone: d.zone ?? null, createdAt: d.createdAt, rotatedAt: d.rotatedAt ?? null },
    ]),
  );
  await replaceFile(file, JSON.stringify(next));
  return changes.length;
}
