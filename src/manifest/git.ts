// Running git: never prompts, never reads the machine's global or system config, C locale,
// and an explicit identity, so the service behaves the same on every machine. Every git process
// runs in a process group of its own, tracked until it closes and killed when the service exits.
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Identity } from '../planning/changes.js';

export type GitIdentity = Identity;

export const SERVICE_IDENTITY: GitIdentity = { name: 'Trainyard', email: 'trainyard@trainyard.invalid' };

export function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what git needs to run; nothing of the caller's git settings leaks in.
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return {
    ...env,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_AUTHOR_NAME: SERVICE_IDENTITY.name,
    GIT_AUTHOR_EMAIL: SERVICE_IDENTITY.email,
    GIT_COMMITTER_NAME: SERVICE_IDENTITY.name,
    GIT_COMMITTER_EMAIL: SERVICE_IDENTITY.email,
  };
}

/** `-c` options for every git command of the service. */
const GIT_OPTIONS = ['-c', 'gc.auto=0', '-c', 'core.quotePath=false', '-c', 'maintenance.auto=false'];

/** Where the git adapter reports what went wrong without failing the request (pino's argument order). */
export type Warn = (details: Record<string, unknown>, message: string) => void;

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Killed after `timeoutMs` (GitRunOptions); `code` is then whatever the kill left. */
  readonly timedOut: boolean;
}

export interface GitRunOptions {
  /** Written to git's stdin, which is then closed. */
  readonly input?: string | Buffer;
  /** Variables added to gitEnvironment() for this command (a remote's URL, keys, proxies). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The longest the command may run: then its whole process group gets SIGTERM (git removes its
   * lock files), and SIGKILL KILL_GRACE_MS later if anything of it is still there.
   */
  readonly timeoutMs?: number;
}

/** How long a command killed for its timeout gets to clean up its lock files before SIGKILL. */
export const KILL_GRACE_MS = 1000;

export class GitCommandError extends Error {
  readonly result: GitResult;

  constructor(args: readonly string[], result: GitResult) {
    super(`git ${args[0] ?? ''} failed with exit code ${result.code}: ${result.stderr.trim().slice(0, 500)}`);
    this.name = 'GitCommandError';
    this.result = result;
  }
}

/**
 * The process groups of the git children still running. Process-wide by nature: they are killed
 * when the process exits, however it exits, so that no git (or helper of it) is left orphaned.
 */
const runningGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Tracks a child spawned with `detached: true` (its own process group) until it exits. On any exit of the process the groups
 * still running get SIGTERM, on which git removes its lock files; nothing can wait for more then.
 */
function trackProcessGroup<T extends ChildProcess>(child: T): T {
  const group = child.pid;
  if (group === undefined) return child; // it failed to start; its 'error' event tells
  if (!exitHookInstalled) {
    process.on('exit', () => killGitProcessGroups('SIGTERM'));
    exitHookInstalled = true;
  }
  runningGroups.add(group);
  // 'close', not 'exit': helpers of the group may hold its pipes after git itself exited.
  child.once('close', () => runningGroups.delete(group));
  return child;
}

/** Signals every git process group the service started that still runs. */
function killGitProcessGroups(signal: NodeJS.Signals): void {
  for (const group of runningGroups) {
    try {
      process.kill(-group, signal);
    } catch {
      // The group is gone already.
    }
  }
}

/** One git command as it ended, for LOG_LEVEL=trace (no secret is in a command line: see remote.ts). */
export interface GitCommandRun {
  readonly repoPath: string;
  readonly args: readonly string[];
  readonly code: number;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

/**
 * Who is told of every git command that ends. Process-wide like the process groups above: git
 * commands run from every module of the adapter, and the process shell decides whether to log them.
 */
const commandObservers = new Set<(run: GitCommandRun) => void>();

/** Tells `observer` of every git command that ends from now on; returns how to stop. */
export function observeGitCommands(observer: (run: GitCommandRun) => void): () => void {
  commandObservers.add(observer);
  return () => commandObservers.delete(observer);
}

/**
 * Starts git in `repoPath` in a process group of its own (so that its helpers, such as ssh or
 * git-remote-http, go with it), tracked until it closes. The caller reads and writes its pipes.
 */
export function spawnGit(
  repoPath: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcessWithoutNullStreams {
  return trackProcessGroup(
    spawn('git', [...GIT_OPTIONS, '-C', repoPath, ...args], {
      env: { ...gitEnvironment(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    }),
  );
}

/** Runs one git command in `repoPath`; resolves whatever the exit code. */
export function runGit(
  repoPath: string,
  args: readonly string[],
  { input, env, timeoutMs }: GitRunOptions = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawnGit(repoPath, args, env);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup('SIGTERM'); // git removes its lock files on SIGTERM
            hardKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
          }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (hardKill) {
        clearTimeout(hardKill);
        killGroup('SIGKILL'); // helpers that outlived git
      }
      const result = {
        code: code ?? -1,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      };
      const durationMs = Math.round(performance.now() - started);
      for (const observer of commandObservers) {
        observer({ repoPath, args, code: result.code, durationMs, timedOut });
      }
      resolve(result);
    });
    child.stdin.on('error', () => {
      // git may exit before reading all of stdin; its exit code tells what happened.
    });
    child.stdin.end(input);
  });
}

/** Runs one git command and returns its stdout; a non-zero exit is an error. */
export async function gitOutput(
  repoPath: string,
  args: readonly string[],
  input?: string | Buffer,
): Promise<Buffer> {
  const result = await runGit(repoPath, args, { input });
  if (result.code !== 0) throw new GitCommandError(args, result);
  return result.stdout;
}

export type ObjectFormat = 'sha1' | 'sha256';

/** The hash of the repository's objects, as git says it. */
export async function readObjectFormat(repoPath: string): Promise<ObjectFormat> {
  const format = (await gitOutput(repoPath, ['rev-parse', '--show-object-format'])).toString('utf8').trim();
  if (format !== 'sha1' && format !== 'sha256') throw new Error(`unknown object format ${format}`);
  return format;
}
