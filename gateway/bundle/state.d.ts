export type BundleState =
  { state: 'fresh'; builtAt: string; sources: number } | { state: 'absent' | 'stale'; reason: string };

export function bundleState(root: string, outDir?: string): BundleState;
export function sha256(bytes: Uint8Array | string): string;
