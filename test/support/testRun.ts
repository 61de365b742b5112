// vitest globalSetup: one directory for everything the tests create. The test workers get it as
// TMPDIR (every mkdtemp(tmpdir()) of a test lands there), and the fixture repos' templates live in
// it. It is on a RAM file system when the machine has one with room: git repos are thousands of
// small files, which a disk makes the slowest part of the run. At the end the run fails when a
// test left a process running or a file behind (test/support/checkEachFile.ts checks each file).
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeProcesses,
  entriesOf,
  killProcesses,
  processesUsing,
  settledLeftovers,
} from './leftovers.js';

/** The RAM file system's directory, when it is there and can take a test run. */
function ramDisk(): string | undefined {
  const candidate = '/dev/shm';
  try {
    const { bavail, bsize } = statfsSync(candidate);
    return bavail * bsize >= 1024 ** 3 ? candidate : undefined;
  } catch {
    return undefined;
  }
}

const PREFIX = 'trainyard-tests-';

/**
 * What runs that were killed before their teardown left: their directories (their owner process
 * is gone) and the processes still working there.
 */
function removeAbandonedRuns(base: string): void {
  for (const entry of readdirSync(base).filter((name) => name.startsWith(PREFIX))) {
    const dir = join(base, entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      continue; // not one of these, or one being made right now
    }
    try {
      process.kill(owner, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      killProcesses(processesUsing(dir));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export default function setupTestRun(): () => Promise<void> {
  // TRAINYARD_TEST_TMPDIR: where to put it instead (a machine whose /dev/shm is small or absent).
  const base = process.env.TRAINYARD_TEST_TMPDIR ?? ramDisk() ?? tmpdir();
  removeAbandonedRuns(base);
  const root = mkdtempSync(join(base, PREFIX));
  writeFileSync(join(root, 'owner'), String(process.pid));
  const temp = join(root, 'tmp');
  mkdirSync(temp);
  mkdirSync(join(root, 'templates'));
  process.env.TRAINYARD_TEST_ROOT = root;
  process.env.TMPDIR = temp;

  return async function teardownTestRun() {
    // vitest's own workers and its esbuild service got the run's TMPDIR too.
    const ours = () =>
      processesUsing(root).filter(({ args }) => !/node_modules\/(vitest|@?esbuild)/.test(args));
    const processes = await settledLeftovers(ours);
    killProcesses(processes);
    const files = entriesOf(temp);
    rmSync(root, { recursive: true, force: true });
    const problems = [
      processes.length > 0 ? `processes still running:\n${describeProcesses(processes)}` : '',
      files.length > 0 ? `temporary files left in ${temp}: ${files.join(', ')}` : '',
    ].filter(Boolean);
    if (problems.length > 0) {
      // vitest reports an error of a teardown but does not fail the run for it.
      process.exitCode = 1;
      throw new Error(`The tests left things behind.\n${problems.join('\n')}`);
    }
  };
}
