import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo.ts';

export const VERSION: string = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;
