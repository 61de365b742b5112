// vitest setup file: each test file gets a temporary directory of its own as TMPDIR, and once the
// file's own cleanups have run (this afterAll runs last), the file fails when it left a process
// running (a child of this worker, or anything working in its directory) or a file in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  describeProcesses,
  entriesOf,
  killProcesses,
  leftoverProcesses,
  settledLeftovers,
} from './leftovers.js';

const root = process.env.TRAINYARD_TEST_ROOT;
if (root !== undefined) {
  const dir = mkdtempSync(join(root, 'tmp', 'file-'));
  process.env.TMPDIR = dir;

  afterAll(async () => {
    const processes = await settledLeftovers(() => leftoverProcesses(dir));
    killProcesses(processes);
    const files = entriesOf(dir);
    rmSync(dir, { recursive: true, force: true });
    const problems = [
      processes.length > 0 ? `processes still running:\n${describeProcesses(processes)}` : '',
      files.length > 0 ? `temporary files left: ${files.join(', ')}` : '',
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`This test file left things behind.\n${problems.join('\n')}`);
  });
}
