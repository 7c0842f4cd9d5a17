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
  const persistence = new HybridPersistence(new AsyncPersistence(db));
  return { persistence, close: () => persistence.destroy() };
}
