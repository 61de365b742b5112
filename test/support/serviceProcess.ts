// The service as a real process running what ships (dist/server.js, built by the tests' global
// setup), as a user or an orchestrator starts it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { descendantsOf, listProcesses, type ProcessInfo, stillRunning, waitUntil } from './processes.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SERVER = join(ROOT, 'dist/server.js');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The base URL once the service listens; rejects when it exits first. */
  readonly listening: Promise<string>;
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves with the first line of stdout (a log line) that matches, now or later. */
  readonly logLine: (pattern: RegExp) => Promise<string>;
}

export interface ServiceOptions {
  /** A JavaScript module for node's --import before the service (a test's way in, e.g. to raise an error). */
  readonly preload?: string;
}

const started: ChildProcess[] = [];

/**
 * SIGKILLs every service still running and every process it started (its git children run in
 * process groups of their own, so each group), and resolves once they are all gone: a test's
 * temporary directories can be removed then (for afterEach).
 */
export async function killAllServices(): Promise<void> {
  const killed: ProcessInfo[] = [];
  for (const child of started.splice(0)) {
    if (child.pid === undefined) continue;
    const service = listProcesses().filter(({ pid }) => pid === child.pid);
    const processes = [...descendantsOf(child.pid), ...service];
    for (const { pid, pgid } of processes) {
      try {
        process.kill(pid === pgid ? -pid : pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    killed.push(...processes);
  }
  await waitUntil(() => stillRunning(killed).length === 0);
}

export function startService(
  cwd: string,
  env: Record<string, string>,
  { preload }: ServiceOptions = {},
): ServiceProcess {
  const imports = preload ? ['--import', pathToFileURL(preload).href] : [];
  const child = spawn(process.execPath, [...imports, SERVER], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  const lineWatchers = new Set<() => void>();
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    for (const watcher of lineWatchers) watcher();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logLine = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const look = () => {
        const line = stdout
          .split('\n')
          .slice(0, -1) // the last one may be incomplete yet
          .find((candidate) => pattern.test(candidate));
        if (line === undefined) return;
        lineWatchers.delete(look);
        resolve(line);
      };
      lineWatchers.add(look);
      look();
    });
  const listening = Promise.race([
    logLine(/Server listening at http:\/\//).then(
      (line) => /Server listening at (http:\/\/[^\s"]+)/.exec(line)?.[1] ?? '',
    ),
    exited.then((code) => Promise.reject(new Error(`server exited with ${code}: ${stderr}`))),
  ]);
  // A test that expects the process to fail never awaits `listening`.
  listening.catch(() => {});
  return { child, exited, listening, output: () => ({ stdout, stderr }), logLine };
}
