#!/usr/bin/env node
// npm's `prepare` (run by `npm ci` and `npm install`): builds dist/ from src/ when the TypeScript
// compiler is installed. With `npm ci --omit=dev` there is no compiler: an existing dist/ (an
// image, or a build made before pruning) is used as it is, and a missing one is a clear error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const require = createRequire(import.meta.url);

let compiler;
try {
  compiler = require.resolve('typescript/bin/tsc');
} catch {
  compiler = undefined;
}

if (compiler === undefined) {
  if (existsSync(new URL('dist/server.js', root))) process.exit(0);
  process.stderr.write(
    'trainyard: dist/ is missing and TypeScript is not installed (npm ci --omit=dev); build first with `npm ci && npm run build`.\n',
  );
  process.exit(1);
}

const result = spawnSync(process.execPath, [compiler, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
