export { buildBundle, GATEWAY_ENTRIES, readBuildManifest, type BundleResult, type BuildManifest } from './build.ts';
