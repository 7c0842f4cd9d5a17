import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document } from 'yaml';
import type { z } from 'zod';

/** One problem in a YAML file, positioned for a person and an editor. */
export interface SourceError {
  file: string;
  line: number;
  column: number;
  /** dotted key path, e.g. `rules[1].allow` */
  path: string;
  message: string;
  hint?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: SourceError[] };

/** What a YAML syntax error means for someone editing a file by hand, by the parser's error code. */
const YAML_HINTS: Partial<Record<string, string>> = {
  TAB_AS_INDENT:
    'indent with spaces, not tabs: YAML does not allow a tab for indentation (set your editor to insert spaces)',
  BAD_INDENT:
    'the keys of one block start in the same column: this line is indented more or less than the key above it at the same level',
  MISSING_CHAR:
    'a list item starts with "- " at the indentation of the list; a key of the item above is indented as far as that item\'s first key',
  DUPLICATE_KEY: 'a key appears twice in the same block: keep one (YAML would silently use the last)',
  BLOCK_AS_IMPLICIT_KEY: 'a key and its colon go on one line, followed by a space: "key: value"',
  MULTILINE_IMPLICIT_KEY: 'a key and its colon go on one line, followed by a space: "key: value"',
  UNEXPECTED_TOKEN: 'check the line for a stray character, or a value with ": " or " #" in it that needs quotes',
};

/** Aliases are legal YAML but a "billion laughs" file expands them exponentially; we allow few. */
const MAX_ALIAS_COUNT = 50;

/**
 * Parses YAML text and validates it against a zod schema, reporting every error with
 * file:line:column and the key path. Pure: the caller reads the file.
 */
export function parseYamlAgainst<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  hintFor: (issue: z.core.$ZodIssue) => string | undefined = () => undefined,
): Parsed<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        // the parser's own words end in its position, which the error already carries
        const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        const hint = YAML_HINTS[e.code];
        return { file, line, column: col, path: '', message: `YAML syntax: ${what}`, ...(hint ? { hint } : {}) };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: `YAML: ${(e as Error).message}` }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'the file is empty' }] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const offset = locate(doc, path, keys[0]);
      const { line, col } = at(offset);
      const hint = hintFor(issue);
      const shown = keys.length > 0 ? [...path, keys[0] as string] : path;
      return { file, line, column: col, path: formatPath(shown), message: issue.message, ...(hint ? { hint } : {}) };
    }),
  };
}

/** Line and column of the value at a key path in YAML text (of its nearest parent where it is absent). */
export function positionOf(text: string, path: (string | number)[]): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const { line, col } = lineCounter.linePos(locate(doc, path));
  return { line, column: col };
}

/** Offset of the node at `path`, or of the key `key` inside it; falls back to the nearest parent. */
function locate(doc: Document, path: (string | number)[], key?: string): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (!node || typeof node !== 'object' || !('range' in node)) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
    const range = (node as { range?: [number, number, number] }).range;
    if (range) return range[0];
  }
  return 0;
}

export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out === '' ? p : `${out}.${p}`), '');
}

export function formatSourceError(e: SourceError): string {
  const where = `${e.file}:${e.line}:${e.column}`;
  const path = e.path ? ` at ${e.path}` : '';
  return `${where}${path}: ${e.message}${e.hint ? `\n    hint: ${e.hint}` : ''}`;
}
