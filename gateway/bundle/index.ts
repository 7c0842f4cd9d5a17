export { buildBundle, GATEWAY_ENTRIES, type BundleResult } from './build.ts';
export { bundleState, type BundleState } from './state.js';
