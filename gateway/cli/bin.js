#!/usr/bin/env node
// The `veilgate` command. It runs the bundle that `veilgate build` makes in dist/ when that was built
// from the sources as they are now (no TypeScript loader, so less resident memory), and
// otherwise the TypeScript sources through tsx's loader, so an edit or a forgotten build never runs
// old code. VEILGATE_SOURCES=1 runs the sources whatever dist/ holds.
// quiet-debug first: it changes how mqtt-packet's loggers are made, so it must precede its loading
import '../broker/patches/quiet-debug.js';
import { fileURLToPath } from 'node:url';
import { bundleState } from '../bundle/state.js';

// onnxruntime-node's telemetry (a device id under $HOME, lookups of Microsoft's collector) stays off in
// every process, before any module loads it (models/no-telemetry.ts says more)
process.env.ORT_DISABLE_TELEMETRY = '1';
const bundle = process.env.VEILGATE_SOURCES
  ? { state: 'absent' }
  : bundleState(fileURLToPath(new URL('../../', import.meta.url)));
if (bundle.state === 'stale')
  console.error(
    `veilgate: running from the sources, not dist/ (${bundle.reason}); \`veilgate build\` brings it up to date`,
  );
try {
  if (bundle.state === 'fresh') {
    await import('../../dist/veilgate.js');
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('./main.ts');
  }
} catch (e) {
  // a native module built for another CPU, or an install whose scripts were skipped, fails while
  // the commands load: say what to do rather than print a stack
  if (e && /ERR_DLOPEN_FAILED|MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND/.test(String(e.code))) {
    console.error(`veilgate cannot load a module it needs: ${e.message.split('\n')[0]}`);
    console.error(
      `on this machine (${process.platform}-${process.arch}, Node ${process.versions.node}) reinstall with: npm ci --omit=dev`,
    );
    process.exit(2);
  }
  throw e;
}
