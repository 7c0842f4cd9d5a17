import { fileURLToPath } from 'node:url';

/**
 * The installation's folder (policies/, fixtures/, models/ live here). "One level up" holds both for
 * this source file and for the bundled gateway (`dist/veilgate.js`, see gateway/bundle/), which
 * sits one level deep too.
 */
export const REPO = fileURLToPath(new URL('../', import.meta.url));
