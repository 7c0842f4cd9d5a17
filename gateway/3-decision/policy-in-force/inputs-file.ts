import { readFile } from 'node:fs/promises';
import {
  CaseInput,
  formatSourceError,
  parseCaseFile,
  parseYamlAgainst,
  type CaseFile,
  type SourceError,
} from '../../../policies/index.ts';

const MAX_BYTES = 64 * 1024 * 1024;

async function readText(file: string): Promise<{ ok: true; text: string } | { ok: false; errors: SourceError[] }> {
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_BYTES)
      return {
        ok: false,
        errors: [{ file, line: 1, column: 1, path: '', message: `the file is larger than ${MAX_BYTES} bytes` }],
      };
    return { ok: true, text: buf.toString('utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [
        { file, line: 1, column: 1, path: '', message: code === 'ENOENT' ? 'file not found' : (e as Error).message },
      ],
    };
  }
}

export async function readCaseFile(
  file: string,
): Promise<{ ok: true; value: CaseFile } | { ok: false; errors: SourceError[] }> {
  const t = await readText(file);
  return t.ok ? parseCaseFile(t.text, file) : t;
}

/**
 * Recorded or written inputs for a dry run: a case file (its cases' inputs) or JSON lines, one
 * input per line ({device, record, fields, at}), in the order they happened.
 */
export async function readInputs(
  file: string,
): Promise<{ ok: true; value: CaseInput[] } | { ok: false; errors: SourceError[] }> {
  const t = await readText(file);
  if (!t.ok) return t;
  if (!/\.jsonl$/i.test(file)) {
    const c = parseCaseFile(t.text, file);
    return c.ok ? { ok: true, value: c.value.cases } : c;
  }
  const value: CaseInput[] = [];
  const errors: SourceError[] = [];
  t.text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const r = parseYamlAgainst(CaseInput, line, file); // JSON is YAML; errors keep a position
    if (r.ok) value.push(r.value);
    else errors.push(...r.errors.map((e) => ({ ...e, line: i + 1 })));
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

export function formatErrors(errors: SourceError[]): string {
  return errors.map((e) => `  ${formatSourceError(e)}`).join('\n');
}
