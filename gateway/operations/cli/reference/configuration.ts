/** A JSON Schema node as z.toJSONSchema writes the config's. */
interface Node {
  description?: string;
  default?: unknown;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  anyOf?: Node[];
  oneOf?: Node[];
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function typeOf(n: Node): string {
  if (n.enum) return n.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  const alts = n.anyOf ?? n.oneOf;
  if (alts) return alts.map(typeOf).join(' or ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'values'}`;
  const t = Array.isArray(n.type) ? n.type.join(' or ') : (n.type ?? 'value');
  const range = [
    n.minimum !== undefined ? `≥ ${n.minimum}` : '',
    n.maximum !== undefined && n.maximum < MAX_SAFE ? `≤ ${n.maximum}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return range ? `${t} (${range})` : t;
}

function defaultOf(n: Node): string {
  if (n.default === undefined) return '';
  if (typeof n.default === 'object' && n.default !== null && Object.keys(n.default).length === 0) return '';
  return `\`${JSON.stringify(n.default)}\``;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(path: string, n: Node, out: string[]): void {
  const children = n.properties ?? (n.type === 'array' && n.items?.properties ? n.items.properties : null);
  const record =
    typeof n.additionalProperties === 'object' && n.additionalProperties.properties
      ? n.additionalProperties.properties
      : null;
  if (path && (!children || n.description))
    out.push(
      `| \`${path}\` | ${cell(children || record ? (n.type === 'array' ? 'list' : 'section') : typeOf(n))} | ${cell(defaultOf(n))} | ${cell(n.description ?? '')} |`,
    );
  const prefix = n.type === 'array' ? `${path}[]` : path;
  for (const [k, c] of Object.entries(children ?? {})) rows(prefix ? `${prefix}.${k}` : k, c, out);
  for (const [k, c] of Object.entries(record ?? {})) rows(`${path}.<id>.${k}`, c, out);
  // a key that takes a short form or a section (policy: a path, or {file, trustedKeys}): the section's keys too
  for (const alt of n.anyOf ?? [])
    for (const [k, c] of Object.entries(alt.properties ?? {})) rows(`${path}.${k}`, c, out);
}

/** docs/configuration.md: every key of gateway.yaml, from the zod schema's JSON Schema. */
export function configurationReference(schema: Node): string {
  const out = [
    '# Configuration',
    '',
    '<!-- Generated from the zod schema (gateway/foundation/config/schema.ts) by `npm run schemas`; a test fails while it is stale. Do not edit. -->',
    '',
    "`veilgate start --config FILE` reads a YAML file of these keys (`gateway.example.yaml` shows every section). Unknown keys are refused, with a suggestion for a misspelling; `veilgate config check --config FILE` checks a file, and the policy and TLS files it names, without starting. Relative paths are resolved against the config file's folder. [schema/gateway.schema.json](schema/gateway.schema.json) is the same schema for editors. Secrets may come from the environment instead of the file: `VEILGATE_UPSTREAM_USERNAME`, `VEILGATE_UPSTREAM_PASSWORD`, `VEILGATE_CAMERA_<ID>_PASSWORD`.",
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
  ];
  rows('', schema, out);
  return `${out.join('\n')}\n`;
}
