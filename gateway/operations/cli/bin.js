#!/usr/bin/env node
// The installed `veilgate` command: the bundle `npm run build` makes in dist/, run by plain node.
// (From a checkout without a build, `npm run veilgate -- ARGS` runs the sources: gateway/operations/cli/dev.js.)
// quiet-debug first: it changes how mqtt-packet's loggers are made, so it must precede its loading
import '../../1-inputs/broker/patches/quiet-debug.js';
import { existsSync } from 'node:fs';

// onnxruntime-node's telemetry (a device id under $HOME, lookups of Microsoft's collector) stays off in
// every process, before any module loads it (models/no-telemetry.ts says more)
process.env.ORT_DISABLE_TELEMETRY = '1';
const main = new URL('../../../dist/veilgate.js', import.meta.url);
// the agency's fleet commands have a bundle of their own that starts faster (a build before it had none)
const fleet = new URL('../../../dist/fleet.js', import.meta.url);
const bundle = process.argv[2] === 'fleet' && existsSync(fleet) ? fleet : main;
if (!existsSync(bundle)) {
  console.error('veilgate is not built: run `npm run build` in its folder (docs/install.md)');
  console.error('in a checkout, `npm run veilgate -- ARGS` runs the TypeScript sources without a build');
  process.exit(2);
}
try {
  await import(bundle.href);
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
