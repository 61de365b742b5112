// Finding and waiting on this test process's own children through /proc (Linux), without the
// code under test handing out its process handles.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Children of this process whose command line has every one of `args`. */
export function childProcesses(...args: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.every((arg) => commandLine.includes(arg))) found.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

/** The `git cat-file --batch-command` processes reading `repoPath`. */
export function catFileProcesses(repoPath: string): number[] {
  return childProcesses(repoPath, 'cat-file', '--batch-command');
}

/** Resolves once the process is gone (reaped, so its parent has seen it exit). */
export async function processGone(pid: number): Promise<void> {
  while (existsSync(`/proc/${pid}`)) await new Promise((resolve) => setTimeout(resolve, 5));
}
