// Writes the JSON Schemas editors use to complete and check gateway.yaml and policy files, and the
// reference pages made from the code (docs/cli.md, docs/configuration.md).
// `npm run schemas` after a change to a schema or a command; a test fails while the committed files are stale.
import { writeFile } from 'node:fs/promises';
import { SCHEMA_FILES } from '../schemas.ts';
import { REFERENCE_FILES } from './reference/index.ts';

for (const [file, make] of Object.entries(SCHEMA_FILES)) {
  await writeFile(new URL(`../../../${file}`, import.meta.url), `${JSON.stringify(make(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
for (const [file, make] of Object.entries(REFERENCE_FILES)) {
  await writeFile(new URL(`../../../${file}`, import.meta.url), await make());
  console.log(`wrote ${file}`);
}
