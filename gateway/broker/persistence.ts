import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import AsyncPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { HybridPersistence } from './hybrid-persistence.ts';

/**
 * The broker's sessions, subscriptions, QoS 1/2 messages waiting for offline persistent sessions,
 * retained messages and wills, in LevelDB under dataDir: they survive a restart or a crash
 * (clean sessions' in-flight state stays in memory: hybrid-persistence.ts).
 * (aedes's default keeps them in memory.) classic-level ships prebuilt binaries for x64 and arm64.
 */
export async function openBrokerPersistence(dir: string): Promise<{ persistence: HybridPersistence; close(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const db = new ClassicLevel<string, Buffer>(dir);
  await db.open();
  const persistence = new HybridPersistence(new AsyncPersistence(db), (clientId) => discardQueued(db, clientId));
  return { persistence, close: () => persistence.destroy() };
}

/**
 * Drops what aedes-persistence-level 9 queues for a client: its `outgoing:` and `outgoing-id:` keys
 * (outgoingByClientKey and outgoingByIdKey in its asyncPersistence.js), which it has no call to drop.
 * persistence.test.ts fails if that layout changes.
 */
async function discardQueued(db: ClassicLevel<string, Buffer>, clientId: string): Promise<void> {
  const id = encodeURIComponent(clientId);
  // the range ends before the prefix with its final ':' raised to ';', as the store's own ranges do
  await Promise.all(['outgoing', 'outgoing-id'].map((kind) => db.clear({ gte: `${kind}:${id}:`, lt: `${kind}:${id};` })));
}
