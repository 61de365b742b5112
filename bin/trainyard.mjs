#!/usr/bin/env node
// The `trainyard` command: the compiled CLI in dist/ (built by `npm ci` through `prepare`, or
// `npm run build`), never TypeScript compiled on each call.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('trainyard: dist/ is missing; run `npm run build` (or `npm ci`) first.\n');
  process.exit(2);
}
await import(built.href);
