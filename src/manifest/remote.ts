// The git server as the one coordination point: fetch before every write, push with a lease on
// the tip the write was planned on, and classify what the server answered from `--porcelain`.
// Every remote command runs in its own process group and is killed as a whole after a bound.
import { AppError, RefConflictError, RefLockedError } from '../domain/errors.js';
import { type GitResult, runGit } from './git.js';
import { gitDirOf, lockFileIn, STALE_LOCK_AGE_MS } from './staleFiles.js';
import { tagExists } from './writeCommit.js';

export interface RemoteOptions {
  /** The clone the remote is fetched into and pushed from. */
  readonly repoPath: string;
  readonly url: string;
  readonly branch: string;
  /** A fetch or push taking longer is killed (its whole process group): 504. */
  readonly timeoutMs: number;
}

export interface PushRequest {
  readonly commitId: string;
  /** The remote tip the commit was planned on; null when the branch did not exist. */
  readonly parent: string | null;
  /** A tag to create on the commit, in the same atomic push. */
  readonly tag?: string;
}

/** Variables a remote command may need from the service's environment (keys, proxies, CAs). */
const PASSED_THROUGH = [
  'SSH_AUTH_SOCK',
  'GIT_SSH_COMMAND',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'GIT_SSL_CAINFO',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

export class Remote {
  readonly repoPath: string;
  readonly branch: string;
  readonly timeoutMs: number;
  private readonly url: string;
  /** When the last fetch that succeeded started (ms since the epoch). */
  private lastFetchStarted: number | undefined;

  constructor(options: RemoteOptions) {
    this.repoPath = options.repoPath;
    this.url = options.url;
    this.branch = options.branch;
    this.timeoutMs = options.timeoutMs;
  }

  /** The URL as it may be shown: without a password or token. */
  get displayUrl(): string {
    return redactUrl(this.url);
  }

  /** Milliseconds since the start of the last successful fetch; undefined before the first one. */
  fetchAge(now = Date.now()): number | undefined {
    return this.lastFetchStarted === undefined ? undefined : now - this.lastFetchStarted;
  }

  /**
   * Makes the clone's branch and tags what the remote has now (the remote is the truth: a
   * branch moved backwards there moves backwards here). A missing remote branch is no branch.
   */
  async fetch(): Promise<void> {
    const started = Date.now();
    const branchRef = `refs/heads/${this.branch}`;
    const fetchArgs = [
      // Objects from the server are checked before they enter the clone: a malformed tree (git
      // takes one with `hash-object --literally`) fails the fetch instead of every later read.
      '-c',
      'fetch.fsckObjects=true',
      'fetch',
      '--quiet',
      '--prune',
      '--no-tags',
      '--update-head-ok',
      '--no-write-fetch-head',
    ];
    const result = await this.run([
      ...fetchArgs,
      'origin',
      `+${branchRef}:${branchRef}`,
      '+refs/tags/*:refs/tags/*',
    ]);
    if (result.code !== 0) {
      if (!/couldn't find remote ref/.test(result.stderr)) throw await this.fetchFailure(result);
      // An empty remote (a new repository): take its tags, and have no branch either.
      const tagsOnly = await this.run([...fetchArgs, 'origin', '+refs/tags/*:refs/tags/*']);
      if (tagsOnly.code !== 0) throw await this.fetchFailure(tagsOnly);
      await runGit(this.repoPath, ['update-ref', '-d', branchRef]);
    }
    this.lastFetchStarted = started;
  }

  /**
   * Pushes the commit (and its tag) atomically, only if the remote branch is still at `parent`.
   * Throws RefConflictError when the branch moved (fetch and plan again), TAG_EXISTS when the tag
   * is taken, REMOTE_REJECTED when the server refused for good (hook, protection, permission).
   */
  async push(request: PushRequest): Promise<void> {
    const branchRef = `refs/heads/${this.branch}`;
    const refspecs = [`${request.commitId}:${branchRef}`];
    if (request.tag !== undefined) refspecs.push(`${request.commitId}:refs/tags/${request.tag}`);
    const result = await this.run([
      'push',
      '--porcelain',
      '--atomic',
      '--no-verify',
      `--force-with-lease=${branchRef}:${request.parent ?? ''}`,
      'origin',
      ...refspecs,
    ]);
    let outcome = classifyPush(result.stdout.toString('utf8'), result.code, branchRef);
    if (outcome.kind === 'rejected' && (await this.branchMovedFrom(request.parent))) {
      // A server refuses a whole atomic push with one reason ("atomic transaction failed") when its
      // ref update lost a race; the branch having moved says so without reading prose.
      outcome = { kind: 'conflict', reason: outcome.reason };
    }
    switch (outcome.kind) {
      case 'pushed':
        return;
      case 'conflict':
        throw new RefConflictError(branchRef);
      case 'tagExists':
        throw tagExists(request.tag ?? '', request.tag ?? '');
      case 'rejected': {
        // What the server said about it (a hook's or a branch protection's explanation).
        const said = result.stderr
          .split('\n')
          .filter((line) => line.startsWith('remote:'))
          .map((line) => line.slice('remote:'.length).trim())
          .filter(Boolean)
          .slice(0, 5)
          .join(' ');
        const reason = said ? `${outcome.reason}: ${said}` : outcome.reason;
        throw new AppError('REMOTE_REJECTED', `The git server refused the push: ${this.redact(reason)}`);
      }
      case 'failed':
        throw this.failure('push', result);
    }
  }

  /** Whether the remote branch is somewhere other than `parent` now (one ls-remote). */
  private async branchMovedFrom(parent: string | null): Promise<boolean> {
    const result = await this.run(['ls-remote', '--heads', 'origin', `refs/heads/${this.branch}`]);
    if (result.code !== 0) return false;
    const tip = result.stdout.toString('utf8').split('\t')[0]?.trim() || null;
    return tip !== parent;
  }

  /** A lock file in the clone stops the fetch from moving its refs: 503 naming it, retried like a race. */
  private async fetchFailure(result: GitResult): Promise<AppError> {
    const lockFile = result.timedOut ? undefined : lockFileIn(result.stderr, await gitDirOf(this.repoPath));
    if (lockFile !== undefined) return new RefLockedError(lockFile, STALE_LOCK_AGE_MS / 60_000);
    return this.failure('fetch', result);
  }

  private failure(operation: string, result: GitResult): AppError {
    if (result.timedOut) {
      return new AppError(
        'REMOTE_TIMEOUT',
        operation === 'push'
          ? `git push did not finish within ${this.timeoutMs / 1000} s; the server may or may not have taken the commit (GET /api/history shows it once it is there).`
          : `git ${operation} did not finish within ${this.timeoutMs / 1000} s; nothing was written.`,
        { retryAfterSeconds: 5 },
      );
    }
    const reason = this.redact(causeOf(result.stderr) || `exit code ${result.code}`);
    return new AppError('REMOTE_UNAVAILABLE', `git ${operation} from ${this.displayUrl} failed: ${reason}`, {
      retryAfterSeconds: 5,
    });
  }

  /** Text from git with the URL's credentials taken out, wherever git may have echoed them. */
  redact(text: string): string {
    let redacted = text;
    for (const secret of secretsOf(this.url)) redacted = redacted.split(secret).join('***');
    return redactUrl(redacted);
  }

  /** A git command against the remote, killed with its helpers after the timeout. */
  private run(args: readonly string[]): Promise<GitResult> {
    return runGit(this.repoPath, args, { env: remoteEnvironment(this.url), timeoutMs: this.timeoutMs });
  }
}

/**
 * What a remote command runs with besides gitEnvironment(): the keys, proxies and CAs it may need
 * from the service's environment, and the URL, which reaches git through `GIT_CONFIG_*`, so it is
 * in no command line and never written to the clone's config.
 */
function remoteEnvironment(url: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of PASSED_THROUGH) if (process.env[key] !== undefined) env[key] = process.env[key];
  env.GIT_SSH_COMMAND ??= 'ssh -o BatchMode=yes';
  return {
    ...env,
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'remote.origin.url',
    GIT_CONFIG_VALUE_0: url,
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: '',
  };
}

export type PushOutcome =
  | { readonly kind: 'pushed' }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'tagExists' }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'failed' };

interface PushedRef {
  readonly flag: string;
  readonly ref: string;
  readonly summary: string;
  readonly reason: string;
}

/** Rejections that a fetch and a new plan can fix: the branch moved under us. */
const BRANCH_MOVED = /^(fetch first|non-fast-forward|stale info)$/;
const SERVER_LOST_RACE =
  /cannot lock ref|incorrect old value|failed to lock|failed to update ref|but expected|reference already exists/i;

/**
 * What `git push --porcelain` said, per ref: "<flag>\t<from>:<to>\t<summary> (<reason>)".
 * Decided from the flags and git's fixed summaries, not from the prose around them.
 */
export function classifyPush(porcelain: string, exitCode: number, branchRef: string): PushOutcome {
  const refs: PushedRef[] = [];
  for (const line of porcelain.split('\n')) {
    const match = /^([ +\-*!=])\t[^\t]*:([^\t]+)\t(\[[^\]]+\]|[^ ]+)(?: \((.*)\))?$/.exec(line);
    const [, flag, ref, summary, reason] = match ?? [];
    if (flag && ref && summary) refs.push({ flag, ref, summary, reason: reason ?? '' });
  }
  if (refs.length === 0) return { kind: 'failed' }; // no answer per ref: connection, auth, timeout
  const rejected = refs.filter((ref) => ref.flag === '!');
  if (rejected.length === 0) return exitCode === 0 ? { kind: 'pushed' } : { kind: 'failed' };
  if (
    rejected.some(
      (ref) =>
        ref.ref.startsWith('refs/tags/') && ref.summary === '[rejected]' && ref.reason === 'already exists',
    )
  )
    return { kind: 'tagExists' };
  const branch = rejected.find((ref) => ref.ref === branchRef);
  if (branch?.summary === '[rejected]' && BRANCH_MOVED.test(branch.reason))
    return { kind: 'conflict', reason: branch.reason };
  const refused = rejected.find((ref) => ref.summary === '[remote rejected]' && !/atomic/i.test(ref.reason));
  if (refused && SERVER_LOST_RACE.test(refused.reason)) return { kind: 'conflict', reason: refused.reason };
  const reason = refused?.reason || branch?.reason || rejected[0]?.reason;
  return { kind: 'rejected', reason: reason || 'rejected' };
}

/** "https://user:token@host/x" -> "https://***@host/x", wherever such a URL appears in the text. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi, '$1***@');
}

/** The user-info of a URL and its password or token, as written and percent-decoded. */
function secretsOf(url: string): string[] {
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i.exec(url)?.[1];
  if (userInfo === undefined) return [];
  const password = userInfo.includes(':') ? userInfo.slice(userInfo.indexOf(':') + 1) : userInfo;
  const secrets = [userInfo, password];
  try {
    secrets.push(decodeURIComponent(userInfo), decodeURIComponent(password));
  } catch {
    // Not percent-encoded.
  }
  // Longest first, so that the user-info goes as a whole before its parts; never empty strings.
  return [...new Set(secrets)].filter((secret) => secret.length >= 3).sort((a, b) => b.length - a.length);
}

/** git's own statement of what went wrong: its first fatal or error line, else its last line. */
function causeOf(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? '';
}
