import { readFile } from 'node:fs/promises';
import { parsePolicy, type LoadedPolicy, type SourceError } from '../../../policies/index.ts';

export type PolicyFileResult = { ok: true; value: LoadedPolicy; text: string } | { ok: false; errors: SourceError[] };

/** Largest policy file we read: policies are documents, not data dumps. */
const MAX_POLICY_BYTES = 1024 * 1024;

export async function readPolicyFile(file: string): Promise<PolicyFileResult> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_POLICY_BYTES)
      return fail(file, `the file is ${buf.length} bytes; a policy may be at most ${MAX_POLICY_BYTES}`);
    text = buf.toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(file, code === 'ENOENT' ? 'file not found' : `cannot read it: ${(e as Error).message}`);
  }
  const parsed = parsePolicy(text, file);
  return parsed.ok ? { ...parsed, text } : parsed;
}

function fail(file: string, message: string): PolicyFileResult {
  return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message }] };
}
