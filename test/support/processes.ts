// The machine's processes as /proc shows them: to find the git children of a service process and
// to check that none is left after it exited.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sep } from 'node:path';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The process group. */
  readonly pgid: number;
  readonly cwd: string | undefined;
  readonly args: string;
}

/** Every running process (zombies, which have exited, left out). */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        cwd = undefined;
      }
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid), cwd, args });
    } catch {
      // It exited while being read.
    }
  }
  return found;
}

/** The children of `pid`, their children, and so on. */
export function descendantsOf(pid: number): ProcessInfo[] {
  const all = listProcesses();
  const found: ProcessInfo[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop();
    for (const child of all.filter((candidate) => candidate.ppid === parent)) {
      found.push(child);
      parents.push(child.pid);
    }
  }
  return found;
}

/** Processes working in `dir` or below it (git -C changes into the repository; helpers inherit it). */
export function processesIn(dir: string): ProcessInfo[] {
  return listProcesses().filter(
    ({ cwd }) => cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}${sep}`)),
  );
}

/** Those of these processes that still run, and any process of a group one of them leads. */
export function stillRunning(processes: readonly ProcessInfo[]): ProcessInfo[] {
  const pids = new Set(processes.map(({ pid }) => pid));
  const groups = new Set(processes.filter(({ pid, pgid }) => pid === pgid).map(({ pgid }) => pgid));
  return listProcesses().filter(({ pid, pgid }) => pids.has(pid) || groups.has(pgid));
}

/**
 * Resolves once `condition` holds; the test's own timeout bounds the wait. `intervalMs`: longer
 * for a condition that is costly to check (one that runs git).
 */
export async function waitUntil(condition: () => boolean, intervalMs = 20): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

/** Children of this process whose command line has every one of `args`. */
export function childProcesses(...args: string[]): number[] {
  return listProcesses()
    .filter(({ ppid, args: commandLine }) => {
      if (ppid !== process.pid) return false;
      const words = commandLine.split(' ');
      return args.every((arg) => words.includes(arg));
    })
    .map(({ pid }) => pid);
}

/** The `git cat-file --batch-command` processes reading `repoPath`. */
export function catFileProcesses(repoPath: string): number[] {
  return childProcesses(repoPath, 'cat-file', '--batch-command');
}

/** Resolves once the process is gone (reaped, so its parent has seen it exit). */
export async function processGone(pid: number): Promise<void> {
  await waitUntil(() => !existsSync(`/proc/${pid}`));
}
