// What a test run must not leave behind: processes and files. Used per test file (a setup file)
// and once at the end of the run (the global setup's teardown).
import { readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { descendantsOf, listProcesses, type ProcessInfo } from './processes.js';

/** Processes working in `dir` (git -C changes into the repository), naming it, or with it in their environment. */
export function processesUsing(dir: string): ProcessInfo[] {
  const within = (text: string) => text === dir || text.includes(`${dir}${sep}`);
  return listProcesses().filter(({ pid, cwd, args }) => {
    if (pid === process.pid) return false;
    if ((cwd !== undefined && within(cwd)) || within(args)) return true;
    try {
      // HOME, MANIFEST_REPO_PATH and the like point there for a service process or `npm start`.
      return within(readFileSync(`/proc/${pid}/environ`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** This process's children and theirs, and any process using `dir`; each once. */
export function leftoverProcesses(dir: string): ProcessInfo[] {
  const found = new Map<number, ProcessInfo>();
  for (const info of [...descendantsOf(process.pid), ...processesUsing(dir)]) found.set(info.pid, info);
  return [...found.values()];
}

/**
 * Resolves with what is still running once `find` has found nothing, or after `graceMs`: a
 * process a cleanup has just SIGKILLed may take a moment to go. The grace bounds only a run that
 * fails anyway.
 */
export async function settledLeftovers(find: () => ProcessInfo[], graceMs = 5_000): Promise<ProcessInfo[]> {
  const deadline = performance.now() + graceMs;
  for (;;) {
    const found = find();
    if (found.length === 0 || performance.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGKILLs them (their whole group when one leads it), so that one failure does not spoil the rest. */
export function killProcesses(processes: readonly ProcessInfo[]): void {
  for (const { pid, pgid } of processes) {
    try {
      process.kill(pid === pgid ? -pid : pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

export function describeProcesses(processes: readonly ProcessInfo[]): string {
  return processes
    .map(({ pid, cwd, args }) => `  ${pid} (in ${cwd ?? '?'}): ${args.slice(0, 300)}`)
    .join('\n');
}

/** The entries of `dir`, or none when it does not exist. */
export function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
