// vitest globalSetup: process tests run what ships (dist/, the built JavaScript), so it is built
// once from the current src/ before any test file runs.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function buildDist(): void {
  const root = new URL('../..', import.meta.url).pathname;
  const compiler = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [compiler, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
