import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo.ts';

/** Set by `npm run build` (esbuild's define): a bundle copied away from its package.json still knows it. */
declare const VEILGATE_VERSION: string | undefined;

export const VERSION: string =
  typeof VEILGATE_VERSION === 'string'
    ? VEILGATE_VERSION
    : (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
