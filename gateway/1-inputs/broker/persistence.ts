import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import AsyncPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { setAside } from '../../foundation/storage/state-file.ts';
import { HybridPersistence } from './hybrid-persistence.ts';

/**
 * The broker's sessions, subscriptions, QoS 1/2 messages waiting for offline persistent sessions,
 * retained messages and wills, in LevelDB under dataDir: they survive a restart or a crash
 * (clean sessions' in-flight state stays in memory: hybrid-persistence.ts).
 * (aedes's default keeps them in memory.) classic-level ships prebuilt binaries for x64 and arm64.
 */
export async function openBrokerPersistence(
  dir: string,
): Promise<{ persistence: HybridPersistence; close(): Promise<void>; damaged: string | null }> {
  let damaged: string | null = null;
  let db = await openChecked(dir).catch(
    async (e: Error & { code?: string; cause?: { code?: string; message?: string } }) => {
      if (e.cause?.code === 'LEVEL_LOCKED') {
        throw Object.assign(
          new Error(`${dir} is in use by another process: is another veilgate running with the same dataDir?`),
          { code: 'BROKER_STORE_LOCKED' },
        );
      }
      // a disk that refuses (permissions, read-only, full) is not damage: setting the store aside would not help
      if (/Permission denied|Read-only file system|No space left/i.test(`${e.cause?.message ?? ''} ${e.message}`))
        throw e;
      // only sessions, subscriptions, retained status and wills live here: starting afresh loses no
      // acknowledged device data (that is in the outbox), so a damaged store is set aside, not fatal
      damaged = `${dir} could not be read (${e.cause?.message ?? e.message}); set aside as ${await setAside(dir)}: local consumers' persistent sessions start afresh`;
      return null;
    },
  );
  db ??= await openChecked(dir);
  const opened = db;
  const persistence = new HybridPersistence(new AsyncPersistence(opened), (clientId) =>
    discardQueued(opened, clientId),
  );
  return { persistence, close: () => persistence.destroy(), damaged };
}

/** Opens the store and reads it through once, so damage shows now and not in the middle of a session. */
async function openChecked(dir: string): Promise<ClassicLevel<string, Buffer>> {
  await mkdir(dir, { recursive: true });
  const db = new ClassicLevel<string, Buffer>(dir);
  await db.open();
  try {
    for await (const entry of db.iterator({ fillCache: false, valueEncoding: 'buffer' })) void entry;
  } catch (e) {
    await db.close().catch(() => {});
    throw Object.assign(new Error((e as Error).message), { cause: e });
  }
  return db;
}

/**
 * Drops what aedes-persistence-level 9 queues for a client: its `outgoing:` and `outgoing-id:` keys
 * (outgoingByClientKey and outgoingByIdKey in its asyncPersistence.js), which it has no call to drop.
 * persistence.test.ts fails if that layout changes.
 */
async function discardQueued(db: ClassicLevel<string, Buffer>, clientId: string): Promise<void> {
  const id = encodeURIComponent(clientId);
  // the range ends before the prefix with its final ':' raised to ';', as the store's own ranges do
  await Promise.all(
    ['outgoing', 'outgoing-id'].map((kind) => db.clear({ gte: `${kind}:${id}:`, lt: `${kind}:${id};` })),
  );
}
