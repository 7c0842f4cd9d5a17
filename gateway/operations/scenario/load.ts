import { readFile } from 'node:fs/promises';
import { parseYamlAgainst, type SourceError } from '../../../policies/index.ts';
import { Scenario } from './schema.ts';

/** Reads and validates a scenario file; errors name the line, column and key. */
export async function loadScenario(
  file: string,
): Promise<{ ok: true; scenario: Scenario } | { ok: false; errors: SourceError[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return {
      ok: false,
      errors: [
        { file, line: 1, column: 1, path: '', message: `cannot read the scenario: ${(e as Error).message}`, hint: '' },
      ],
    };
  }
  const parsed = parseYamlAgainst(Scenario, text, file);
  return parsed.ok ? { ok: true, scenario: parsed.value } : parsed;
}
