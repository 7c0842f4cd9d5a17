import { fileURLToPath } from 'node:url';

/**
 * The installation's folder (policies/, fixtures/, models/ live here): two levels above this source
 * file, one above the bundled gateway (`dist/veilgate.js`, see gateway/operations/bundle/).
 */
export const REPO = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../' : '../', import.meta.url));
