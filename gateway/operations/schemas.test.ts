import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { SCHEMA_FILES } from './schemas.ts';
import { REFERENCE_FILES } from './cli/reference/index.ts';

test('the committed JSON Schemas match the zod schemas (run npm run schemas after a change)', async () => {
  for (const [file, make] of Object.entries(SCHEMA_FILES)) {
    const committed = JSON.parse(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(make())), file);
  }
});

test('docs/cli.md and docs/configuration.md are what the commands and the config schema say (run npm run schemas after a change)', async () => {
  for (const [file, make] of Object.entries(REFERENCE_FILES)) {
    assert.equal(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8'), await make(), file);
  }
  const cli = await REFERENCE_FILES['docs/cli.md']!();
  for (const command of [
    'veilgate certs revoke',
    'veilgate devices rotate',
    'veilgate policy check',
    'veilgate audit verify',
  ])
    assert.match(cli, new RegExp(`^## ${command}$`, 'm'));
  assert.match(
    await REFERENCE_FILES['docs/configuration.md']!(),
    /^\| `broker\.tls\.deviceCertDays` \| integer .* \| `90` \|/m,
  );
});

test('every config field has a description and a default, so editors can explain it', async () => {
  const schema = SCHEMA_FILES['docs/schema/gateway.schema.json']!() as {
    properties: Record<
      string,
      {
        description?: string;
        default?: unknown;
        properties?: Record<string, { description?: string; default?: unknown }>;
      }
    >;
  };
  const missing: string[] = [];
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (prop.properties) {
      for (const [sub, p] of Object.entries(prop.properties)) {
        if (!p.description) missing.push(`${key}.${sub}: description`);
        const optional = ['username', 'password', 'caFile', 'certFile', 'keyFile', 'urls'].includes(sub);
        if (p.default === undefined && !optional) missing.push(`${key}.${sub}: default`);
      }
    } else if (prop.default === undefined) missing.push(`${key}: default`);
  }
  assert.deepEqual(missing, []);
});
