import { copyFile, readFile } from 'node:fs/promises';
import { parseYamlAgainst, formatSourceError } from '../../../policies/index.ts';
import { GatewayConfig, setCameraZone } from '../../foundation/config/index.ts';
import { replaceFile } from '../../foundation/storage/replace-file.ts';
import { UsageError } from './exit.ts';

/**
 * Writes a camera's zone into the config file, its one home (`cameras.<id>.zone`), keeping the rest of
 * the file and its comments. The new text is checked as a start would check it before it replaces the
 * file, atomically; a running gateway re-reads the zones at once.
 */
export async function writeCameraZone(configFile: string, id: string, zone: string | undefined): Promise<void> {
  const text = await readFile(configFile, 'utf8');
  const next = setCameraZone(text, id, zone);
  if (next === text) return;
  await replaceChecked(configFile, next);
}

/** Replaces the config file with text that passes the schema, or says why it would not. */
export async function replaceChecked(configFile: string, text: string, keepCopyAs?: string): Promise<void> {
  const parsed = parseYamlAgainst(GatewayConfig, text, configFile);
  if (!parsed.ok)
    throw new UsageError(
      `${configFile} would not be valid after the change, so it was not written:\n${parsed.errors.map(formatSourceError).join('\n')}`,
    );
  if (keepCopyAs) await copyFile(configFile, keepCopyAs);
  await replaceFile(configFile, text);
}
