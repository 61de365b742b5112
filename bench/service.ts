// What the benchmarks share: the service started as a user would (dist/server.js, a child process
// over HTTP), timing, medians and the machine's description.
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { gitEnvironment, gitOutput } from '../src/manifest/git.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const WORK = join(ROOT, '.bench');

export interface RunningService {
  readonly child: ChildProcess;
  readonly url: string;
}

export async function copyRepo(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
}

/** The service on `repo` (more variables in `env`), once /healthz answers. */
export async function startService(repo: string, env: Record<string, string> = {}): Promise<RunningService> {
  const port = await freePort();
  // What ships (dist/, built by `npm run bench`), in one process, so that its peak RSS is the service's.
  const child = spawn(process.execPath, [join(ROOT, 'dist/server.js')], {
    cwd: ROOT,
    env: { ...gitEnvironment(), PORT: String(port), MANIFEST_REPO_PATH: repo, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error('the service exited at start');
    const ready = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((done) => setTimeout(done, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** `url` answered; its body (an answer that is no 2xx throws, naming it). */
export async function request(
  method: string,
  url: string,
  init: { readonly body?: string | FormData; readonly headers?: Record<string, string> } = {},
): Promise<string> {
  const response = await fetch(url, { method, ...init });
  const body = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${body.slice(0, 300)}`);
  return body;
}

export async function peakRssMiB(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

export async function timeIt(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

export function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export async function machine(): Promise<string> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const cores = cpuinfo.split('\n').filter((line) => line.startsWith('processor')).length;
  const git = (await gitOutput(ROOT, ['--version'])).toString().trim();
  return `${model}, ${cores} cores, node ${process.version}, ${git}`;
}

export const ms = (value: number) => `${value.toFixed(0)} ms`;
export const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

/** SIGTERM, and resolves once it exited. */
export async function stopService({ child }: RunningService): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}
