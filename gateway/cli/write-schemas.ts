// Writes the JSON Schemas editors use to complete and check gateway.yaml and policy files.
// `npm run schemas` after a schema change; a test fails while the committed files are stale.
import { writeFile } from 'node:fs/promises';
import { SCHEMA_FILES } from '../schemas.ts';

for (const [file, make] of Object.entries(SCHEMA_FILES)) {
  await writeFile(new URL(`../../${file}`, import.meta.url), `${JSON.stringify(make(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
