#!/usr/bin/env node
// The `veilgate` command. Sources are TypeScript run through tsx's loader, so there is no build step
// to forget on a device; the transform is cached after the first start.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
