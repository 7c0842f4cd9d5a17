#!/usr/bin/env node
// The `veilgate` command. Sources are TypeScript run through tsx's loader, so there is no build step
// to forget on a device; the transform is cached after the first start.
import { register } from 'tsx/esm/api';

register();
try {
  await import('./main.ts');
} catch (e) {
  // a native module built for another CPU, or an install whose scripts were skipped, fails while
  // the commands load: say what to do rather than print a stack
  if (e && /ERR_DLOPEN_FAILED|MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND/.test(String(e.code))) {
    console.error(`veilgate cannot load a module it needs: ${e.message.split('\n')[0]}`);
    console.error(`on this machine (${process.platform}-${process.arch}, Node ${process.versions.node}) reinstall with: npm ci --omit=dev`);
    process.exit(2);
  }
  throw e;
}
