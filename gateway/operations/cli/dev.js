#!/usr/bin/env node
// `veilgate` from a checkout: the TypeScript sources through tsx's loader, so an edit runs at once.
// `npm run veilgate -- ARGS`, `npm start` and the tests use it. The installed gateway runs the
// bundle `npm run build` makes (gateway/operations/cli/bin.js), without tsx.
// quiet-debug first: it changes how mqtt-packet's loggers are made, so it must precede its loading
import '../../1-inputs/broker/patches/quiet-debug.js';
import { register } from 'tsx/esm/api';

// onnxruntime-node's telemetry (a device id under $HOME, lookups of Microsoft's collector) stays off in
// every process, before any module loads it (models/no-telemetry.ts says more)
process.env.ORT_DISABLE_TELEMETRY = '1';
register();
await import('./main.ts');
