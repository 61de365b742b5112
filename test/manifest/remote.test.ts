// Remote mode against real bare repositories: fetching the remote into the clone, pushing with a
// lease, what `git push --porcelain` answers mean, keeping credentials out of text and files, a
// server that never answers, and preparing the clone as a cache (reuse, stale locks, corruption).
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, RefConflictError } from '../../src/domain/errors.js';
import { ERROR_STATUS } from '../../src/http/errorStatus.js';
import { CLONE_MARKER, prepareClone } from '../../src/manifest/clone.js';
import { classifyPush, Remote, redactUrl } from '../../src/manifest/remote.js';
import { STALE_TEMP_AGE_MS } from '../../src/manifest/staleFiles.js';
import { createFixtureRepo, type FixtureRepo, GIT_ENV, removeAllFixtures } from '../support/gitFixture.js';
import { closeAll, tempDir, workTreeState } from './support.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await closeAll();
  await removeAllFixtures();
});

const OUTSIDE_GIT_ENV = {
  ...GIT_ENV,
  GIT_AUTHOR_NAME: 'Outside Person',
  GIT_AUTHOR_EMAIL: 'outside@example.com',
  GIT_COMMITTER_NAME: 'Outside Person',
  GIT_COMMITTER_EMAIL: 'outside@example.com',
};

/** Plain git with an explicit identity, output trimmed. */
function run(repoPath: string, args: string[], input?: string): string {
  return execFileSync('git', ['-C', repoPath, ...args], {
    env: OUTSIDE_GIT_ENV,
    input,
    encoding: 'utf8',
  }).trim();
}

/** Every ref of a repository with what it points to, as plain git lists them. */
function refsOf(repoPath: string): string[] {
  const listed = run(repoPath, ['for-each-ref', '--format=%(objectname) %(refname)']);
  return listed ? listed.split('\n') : [];
}

function tipOf(repoPath: string, ref = 'refs/heads/main'): string {
  return run(repoPath, ['rev-parse', '--verify', '--quiet', ref]);
}

function hasRef(repoPath: string, ref: string): boolean {
  return refsOf(repoPath).some((line) => line.endsWith(` ${ref}`));
}

/** A bare repository on `main` playing the git server; `hook` becomes its pre-receive hook. */
async function bareRemote(hook?: string): Promise<{ path: string; url: string }> {
  const path = join(await tempDir('trainyard-remote-test-'), 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', path], { env: OUTSIDE_GIT_ENV });
  if (hook !== undefined) {
    writeFileSync(join(path, 'hooks', 'pre-receive'), hook);
    chmodSync(join(path, 'hooks', 'pre-receive'), 0o755);
  }
  return { path, url: `file://${path}` };
}

/** A person's work tree pushing to the remote, outside the service. */
async function outsideClone(url: string): Promise<FixtureRepo> {
  const repo = await createFixtureRepo();
  repo.git(['remote', 'add', 'origin', url]);
  return repo;
}

/** A path where no clone exists yet (its parent is removed after the test). */
async function clonePath(): Promise<string> {
  return join(await tempDir('trainyard-clone-test-'), 'clone');
}

function remoteFor(repoPath: string, url: string, timeoutMs = 15_000): Remote {
  return new Remote({ repoPath, url, branch: 'main', timeoutMs });
}

/** A commit made inside the bare clone (as the service would), on `parent`. */
function commitInClone(clone: string, parent: string | null, text: string): string {
  const blob = run(clone, ['hash-object', '-w', '--stdin'], text);
  const tree = run(clone, ['mktree'], `100644 blob ${blob}\tfile.txt\n`);
  return run(clone, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', text]);
}

/** A remote with one commit on main (and tag t1 on it), and a fresh clone of it. */
async function clonedRemote(): Promise<{
  remote: { path: string; url: string };
  outside: FixtureRepo;
  clone: string;
  service: Remote;
}> {
  const remote = await bareRemote();
  const outside = await outsideClone(remote.url);
  outside.commit({ 'a.txt': 'one\n' });
  outside.git(['tag', 't1']);
  outside.git(['push', '--quiet', 'origin', 'main', 'refs/tags/t1']);
  const clone = await clonePath();
  const service = remoteFor(clone, remote.url);
  expect((await prepareClone(service)).action).toBe('cloned');
  return { remote, outside, clone, service };
}

/** The AppError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the promise to reject');
}

/** A localhost port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every file under a directory: relative path -> bytes. */
function filesUnder(root: string, relative = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(join(root, relative))) {
    const path = relative ? `${relative}/${name}` : name;
    if (statSync(join(root, path)).isDirectory()) {
      for (const [inner, bytes] of filesUnder(root, path)) files.set(inner, bytes);
    } else {
      files.set(path, readFileSync(join(root, path)));
    }
  }
  return files;
}

/** Processes (`pid comm`) whose working directory is `dir`. */
function processesIn(dir: string): string[] {
  const wanted = realpathSync(dir);
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== wanted) continue;
      found.push(`${entry} ${readFileSync(`/proc/${entry}/comm`, 'utf8').trim()}`);
    } catch {
      // Gone, or not ours to look at.
    }
  }
  return found;
}

/** A TCP server that accepts connections and never says a word. */
/** `closed`: resolves once the first connection is gone (its client gave up); `connections`: how many came. */
async function silentServer(): Promise<{
  port: number;
  connected: Promise<void>;
  closed: Promise<void>;
  connections: () => number;
}> {
  const sockets: Socket[] = [];
  let connected!: () => void;
  let closed!: () => void;
  const firstConnection = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const firstClosed = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const server: Server = createServer((socket) => {
    if (sockets.length === 0) socket.on('close', closed);
    sockets.push(socket);
    socket.on('error', () => {});
    // Read and dropped, so that the end of the connection is seen.
    socket.resume();
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as { port: number }).port,
    connected: firstConnection,
    closed: firstClosed,
    connections: () => sockets.length,
  };
}

/**
 * Smart HTTP in front of `root` (git http-backend as CGI), asking for Basic credentials the way a
 * hosted git server does. Records the Authorization headers it was sent.
 */
async function httpGitServer(root: string): Promise<{ port: number; authorizations: string[] }> {
  const authorizations: string[] = [];
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const authorization = request.headers.authorization;
      if (authorization === undefined) {
        response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
        response.end();
        return;
      }
      authorizations.push(authorization);
      const body = Buffer.concat(chunks);
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          ...OUTSIDE_GIT_ENV,
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: '1',
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: request.method ?? 'GET',
          CONTENT_TYPE: request.headers['content-type'] ?? '',
          CONTENT_LENGTH: String(body.length),
          HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
          GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
          REMOTE_USER: 'user',
          REMOTE_ADDR: '127.0.0.1',
        },
      });
      const output: Buffer[] = [];
      cgi.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      cgi.stdin.on('error', () => {});
      cgi.on('close', () => {
        const all = Buffer.concat(output);
        const end = all.indexOf('\r\n\r\n');
        let status = 200;
        for (const line of all.subarray(0, end).toString('latin1').split('\r\n')) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon);
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
          else if (name) response.setHeader(name, value);
        }
        response.writeHead(status);
        response.end(all.subarray(end + 4));
      });
      cgi.stdin.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port, authorizations };
}

const SHA = '67da943c1f0e8b5d2a4c6e8f0a1b2c3d4e5f6a7b';
const MAIN = 'refs/heads/main';

describe('classifyPush', () => {
  it('is pushed when git updated the branch and said Done', () => {
    const output = `To ../remote.git\n \t${SHA}:refs/heads/main\t388e4c8..67da943\nDone\n`;
    expect(classifyPush(output, 0, MAIN)).toEqual({ kind: 'pushed' });
  });

  it('is pushed for a new branch with a new tag, and for a ref that was up to date already', () => {
    const output = `To ../remote.git\n*\t${SHA}:refs/heads/x\t[new branch]\n=\t${SHA}:refs/heads/x\t[up to date]\nDone\n`;
    expect(classifyPush(output, 0, 'refs/heads/x')).toEqual({ kind: 'pushed' });
    expect(classifyPush(`*\t${SHA}:refs/heads/x\t[new branch]\n`, 0, 'refs/heads/x')).toEqual({
      kind: 'pushed',
    });
    expect(classifyPush(`=\t${SHA}:refs/heads/x\t[up to date]\n`, 0, 'refs/heads/x')).toEqual({
      kind: 'pushed',
    });
  });

  it('is a conflict when the lease failed (stale info), even though the tag failed with it', () => {
    const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[rejected] (stale info)\n!\t${SHA}:refs/tags/t9\t[rejected] (atomic push failed)\n`;
    expect(classifyPush(output, 1, MAIN)).toMatchObject({ kind: 'conflict' });
  });

  it('is tagExists when the tag is taken and the branch only failed with it (atomic)', () => {
    const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[rejected] (atomic push failed)\n!\t${SHA}:refs/tags/t1\t[rejected] (already exists)\n`;
    expect(classifyPush(output, 1, MAIN)).toEqual({ kind: 'tagExists' });
  });

  it('is a conflict when the branch moved on the server (non-fast-forward, fetch first)', () => {
    for (const reason of ['non-fast-forward', 'fetch first']) {
      const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[rejected] (${reason})\n`;
      expect(classifyPush(output, 1, MAIN), reason).toMatchObject({ kind: 'conflict' });
    }
  });

  it('is rejected with the reason when a pre-receive hook declined the branch and the tag', () => {
    const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n!\t${SHA}:refs/tags/t1\t[remote rejected] (pre-receive hook declined)\n`;
    expect(classifyPush(output, 1, MAIN)).toEqual({ kind: 'rejected', reason: 'pre-receive hook declined' });
    const branchOnly = `!\t${SHA}:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n`;
    expect(classifyPush(branchOnly, 1, MAIN)).toEqual({
      kind: 'rejected',
      reason: 'pre-receive hook declined',
    });
  });

  it('is a conflict when the server lost a race on the ref lock', () => {
    const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[remote rejected] (cannot lock ref 'refs/heads/main': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222)\n`;
    expect(classifyPush(output, 1, MAIN)).toMatchObject({ kind: 'conflict' });
  });

  it('is rejected when a branch protection declined', () => {
    const output = `To ../remote.git\n!\t${SHA}:refs/heads/main\t[remote rejected] (protected branch hook declined)\n`;
    expect(classifyPush(output, 1, MAIN)).toEqual({
      kind: 'rejected',
      reason: 'protected branch hook declined',
    });
  });

  it('is failed when git answered nothing per ref (exit 128)', () => {
    expect(classifyPush('', 128, MAIN)).toEqual({ kind: 'failed' });
  });
});

describe('redactUrl and Remote.redact', () => {
  const TOKEN_URL = 'https://user:s3cret-token@git.example.com/team/manifest.git';

  it('takes the user and token out of a URL, wherever it is in the text', () => {
    expect(redactUrl('https://user:token@host/x')).toBe('https://***@host/x');
    expect(redactUrl(`fatal: unable to access '${TOKEN_URL}/': The requested URL returned error: 403`)).toBe(
      "fatal: unable to access 'https://***@git.example.com/team/manifest.git/': The requested URL returned error: 403",
    );
  });

  it('leaves text without a URL, and a URL without credentials, as they are', () => {
    const text = "fatal: couldn't find remote ref refs/heads/main (user: someone@example.com)";
    expect(redactUrl(text)).toBe(text);
    expect(redactUrl('fetch from https://host/x failed')).toBe('fetch from https://host/x failed');
  });

  it('shows the URL without credentials', () => {
    const remote = remoteFor('/nonexistent', TOKEN_URL);
    expect(remote.displayUrl).toBe('https://***@git.example.com/team/manifest.git');
  });

  it('removes the credentials git echoed without their URL', () => {
    const remote = remoteFor('/nonexistent', TOKEN_URL);
    const redacted = remote.redact('remote: invalid credentials user:s3cret-token');
    expect(redacted).not.toContain('s3cret-token');
    expect(redacted).toContain('remote: invalid credentials');
  });

  it('removes the token when it is echoed bare (without the user name)', () => {
    const remote = remoteFor('/nonexistent', TOKEN_URL);
    const redacted = remote.redact('remote: the token s3cret-token has expired');
    expect(redacted).not.toContain('s3cret-token');
    expect(redacted).toContain('has expired');
  });
});

describe('Remote.fetch', () => {
  it('follows the remote: empty, then a commit and tags, a branch moved backwards, a tag deleted', async () => {
    const remote = await bareRemote();
    const clone = await clonePath();
    const service = remoteFor(clone, remote.url);
    expect(service.fetchAge()).toBeUndefined();

    expect((await prepareClone(service)).action).toBe('cloned');
    expect(refsOf(clone)).toEqual([]);
    expect(service.fetchAge()).toBeGreaterThanOrEqual(0);

    const outside = await outsideClone(remote.url);
    const first = outside.commit({ 'a.txt': 'one\n' });
    const second = outside.commit({ 'a.txt': 'two\n' });
    outside.git(['tag', 't1', first]);
    outside.git(['tag', '-a', 'v2', '-m', 'annotated', second]);
    outside.git(['push', '--quiet', 'origin', 'main', 'refs/tags/t1', 'refs/tags/v2']);
    await service.fetch();
    expect(tipOf(clone)).toBe(second);
    expect(refsOf(clone)).toEqual(refsOf(remote.path));
    expect(refsOf(clone)).toHaveLength(3);

    outside.git(['push', '--quiet', '--force', 'origin', `${first}:refs/heads/main`]);
    await service.fetch();
    expect(tipOf(clone)).toBe(first);

    outside.git(['push', '--quiet', 'origin', ':refs/tags/t1']);
    await service.fetch();
    expect(hasRef(clone, 'refs/tags/t1')).toBe(false);
    expect(refsOf(clone)).toEqual(refsOf(remote.path));
  });

  it('drops the branch when it was deleted on the remote', async () => {
    const { remote, clone, service } = await clonedRemote();
    run(remote.path, ['update-ref', '-d', MAIN]);
    await service.fetch();
    expect(hasRef(clone, MAIN)).toBe(false);
    expect(refsOf(clone)).toEqual(refsOf(remote.path));
  });
});

describe('Remote.push', () => {
  it('pushes the commit and its tag when the parent is the remote tip', async () => {
    const { remote, clone, service } = await clonedRemote();
    const parent = tipOf(remote.path);
    const commitId = commitInClone(clone, parent, 'from the service');
    await service.push({ commitId, parent, tag: 'release-2' });
    expect(tipOf(remote.path)).toBe(commitId);
    expect(tipOf(remote.path, 'refs/tags/release-2')).toBe(commitId);
  });

  it('creates the branch on an empty remote when the parent is null', async () => {
    const remote = await bareRemote();
    const clone = await clonePath();
    const service = remoteFor(clone, remote.url);
    await prepareClone(service);
    const commitId = commitInClone(clone, null, 'first');
    await service.push({ commitId, parent: null });
    expect(tipOf(remote.path)).toBe(commitId);
  });

  it('is a RefConflictError when the remote moved since the parent, and the remote keeps its tip', async () => {
    const { remote, outside, clone, service } = await clonedRemote();
    const planned = tipOf(clone);
    const moved = outside.commit({ 'a.txt': 'moved by someone else\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const commitId = commitInClone(clone, planned, 'planned on the old tip');

    const error = await rejection(service.push({ commitId, parent: planned, tag: 'late' }));
    expect(error).toBeInstanceOf(RefConflictError);
    expect(error.code).toBe('REPO_BUSY');
    expect(tipOf(remote.path)).toBe(moved);
    expect(hasRef(remote.path, 'refs/tags/late')).toBe(false);

    // Fetching and planning again on the new tip goes through.
    await service.fetch();
    const replanned = commitInClone(clone, tipOf(clone), 'planned on the new tip');
    await service.push({ commitId: replanned, parent: moved });
    expect(tipOf(remote.path)).toBe(replanned);
  });

  it('is a RefConflictError when the parent is null but the branch exists on the remote', async () => {
    const { remote, clone, service } = await clonedRemote();
    const before = tipOf(remote.path);
    const commitId = commitInClone(clone, null, 'thought the repo was empty');
    const error = await rejection(service.push({ commitId, parent: null }));
    expect(error).toBeInstanceOf(RefConflictError);
    expect(tipOf(remote.path)).toBe(before);
  });

  it('is TAG_EXISTS when the tag is taken, and neither the branch nor the tag moved', async () => {
    const { remote, clone, service } = await clonedRemote();
    const refsBefore = refsOf(remote.path);
    const parent = tipOf(remote.path);
    const commitId = commitInClone(clone, parent, 'wants tag t1');

    const error = await rejection(service.push({ commitId, parent, tag: 't1' }));
    expect(error.code).toBe('TAG_EXISTS');
    expect(ERROR_STATUS[error.code]).toBe(409);
    expect(error.message).toContain('t1');
    expect(refsOf(remote.path)).toEqual(refsBefore);
  });

  it('is REMOTE_REJECTED (502) with the hook’s words when a pre-receive hook declines, run once', async () => {
    const counter = join(await tempDir(), 'hook-runs');
    const remote = await bareRemote(
      `#!/bin/sh\necho run >> '${counter}'\necho 'denied by policy: main is frozen' >&2\nexit 1\n`,
    );
    const outside = await outsideClone(remote.url);
    // The first push from outside runs the hook too: take it out for that one.
    const hook = join(remote.path, 'hooks', 'pre-receive');
    const hookText = readFileSync(hook, 'utf8');
    rmSync(hook);
    outside.commit({ 'a.txt': 'one\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    writeFileSync(hook, hookText);
    chmodSync(hook, 0o755);

    const clone = await clonePath();
    const service = remoteFor(clone, remote.url);
    await prepareClone(service);
    const refsBefore = refsOf(remote.path);
    const parent = tipOf(clone);
    const commitId = commitInClone(clone, parent, 'not allowed');

    const error = await rejection(service.push({ commitId, parent, tag: 'frozen-1' }));
    expect(error.code).toBe('REMOTE_REJECTED');
    expect(ERROR_STATUS[error.code]).toBe(502);
    expect(error.message).toContain('pre-receive hook declined');
    expect(error.message).toContain('denied by policy: main is frozen');
    expect(refsOf(remote.path)).toEqual(refsBefore);
    expect(readFileSync(counter, 'utf8')).toBe('run\n');
  });
});

describe('Remote against a server that fails', () => {
  it('kills a fetch the server never answers: REMOTE_TIMEOUT (504), no git left, works again after', async () => {
    const { remote, outside, clone } = await clonedRemote();
    const silent = await silentServer();
    const hanging = new Remote({
      repoPath: clone,
      url: `git://127.0.0.1:${silent.port}/x.git`,
      branch: 'main',
      timeoutMs: 1500,
    });

    const fetching = rejection(hanging.fetch());
    await Promise.race([silent.connected, fetching]);
    // While it hangs, git is there (so the check below can see one).
    expect(processesIn(clone).some((line) => / git/.test(line))).toBe(true);
    const error = await fetching;

    expect(error.code).toBe('REMOTE_TIMEOUT');
    expect(ERROR_STATUS[error.code]).toBe(504);
    // The configured bound, for the one fetch, which is not tried again; its connection went with git.
    expect(error.message).toContain('did not finish within 1.5 s');
    await silent.closed;
    expect(silent.connections()).toBe(1);
    expect(processesIn(clone)).toEqual([]);

    const moved = outside.commit({ 'a.txt': 'after the timeout\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    await remoteFor(clone, remote.url).fetch();
    expect(tipOf(clone)).toBe(moved);
  });

  it('is REMOTE_UNAVAILABLE (502) for an unreachable URL with credentials, and the token is written nowhere', async () => {
    const { clone } = await clonedRemote();
    const url = `http://user:s3cret-token@127.0.0.1:${await closedPort()}/x.git`;

    const error = await rejection(remoteFor(clone, url).fetch());
    expect(error.code).toBe('REMOTE_UNAVAILABLE');
    expect(ERROR_STATUS[error.code]).toBe(502);
    expect(error.message).not.toContain('s3cret-token');
    expect(readFileSync(join(clone, 'config'), 'utf8')).not.toContain('s3cret-token');
    for (const [path, bytes] of filesUnder(clone)) {
      expect(bytes.includes('s3cret-token'), path).toBe(false);
    }

    // A first start against it: the half-made clone's marker holds no token either.
    const fresh = await clonePath();
    const failed = await rejection(prepareClone(remoteFor(fresh, url)));
    expect(failed.code).toBe('REMOTE_UNAVAILABLE');
    expect(failed.message).not.toContain('s3cret-token');
    for (const [path, bytes] of filesUnder(fresh)) {
      expect(bytes.includes('s3cret-token'), path).toBe(false);
    }
  });
});

describe('prepareClone', () => {
  it('clones into a missing directory, marks it, then reuses it', async () => {
    const { remote, outside, clone, service } = await clonedRemote();
    expect(existsSync(join(clone, CLONE_MARKER))).toBe(true);
    expect(tipOf(clone)).toBe(outside.tip());
    expect(refsOf(clone)).toEqual(refsOf(remote.path));

    const moved = outside.commit({ 'a.txt': 'two\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const again = await prepareClone(service);
    expect(again).toEqual({ action: 'reused', removedStaleFiles: [] });
    expect(tipOf(clone)).toBe(moved);
  });

  it('clones into an existing empty directory', async () => {
    const remote = await bareRemote();
    const outside = await outsideClone(remote.url);
    const tip = outside.commit({ 'a.txt': 'one\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const clone = await tempDir();
    expect((await prepareClone(remoteFor(clone, remote.url))).action).toBe('cloned');
    expect(tipOf(clone)).toBe(tip);
  });

  it('clones over HTTP with credentials in the URL, and keeps them out of the marker and every file', async () => {
    const remote = await bareRemote();
    const outside = await outsideClone(remote.url);
    const tip = outside.commit({ 'a.txt': 'one\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const server = await httpGitServer(join(remote.path, '..'));
    const clone = await clonePath();
    const url = `http://user:s3cret-token@127.0.0.1:${server.port}/remote.git`;

    expect((await prepareClone(remoteFor(clone, url))).action).toBe('cloned');
    expect(tipOf(clone)).toBe(tip);
    // The credentials did reach the server...
    expect(server.authorizations).toContain(`Basic ${Buffer.from('user:s3cret-token').toString('base64')}`);
    // ...and are nowhere in the clone, the marker included.
    expect(readFileSync(join(clone, CLONE_MARKER), 'utf8')).not.toContain('s3cret-token');
    for (const [path, bytes] of filesUnder(clone)) {
      expect(bytes.includes('s3cret-token'), path).toBe(false);
    }
  });

  it('refuses a non-empty directory it did not make, and leaves it untouched', async () => {
    const { remote } = await clonedRemote();
    const someRepo = await bareRemote();
    const outside = await outsideClone(someRepo.url);
    outside.commit({ 'b.txt': 'not a manifest\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const withFile = await tempDir();
    writeFileSync(join(withFile, 'notes.txt'), 'mine\n');

    for (const path of [someRepo.path, withFile]) {
      const before = workTreeState(path);
      await expect(prepareClone(remoteFor(path, remote.url)), path).rejects.toThrow(
        /not a clone Trainyard made/,
      );
      expect(workTreeState(path), path).toEqual(before);
    }
  });

  it('removes what a crashed git left behind (by age), lists it, and fetches after', async () => {
    const { outside, clone, service } = await clonedRemote();
    const tip = tipOf(clone);
    const stale = [
      'refs/heads/main.lock',
      'packed-refs.lock',
      'shallow.lock',
      'objects/pack/tmp_pack_abc',
      'refs/trainyard/pending/killed-write',
    ];
    mkdirSync(join(clone, 'refs/trainyard/pending'), { recursive: true });
    const longAgo = new Date(Date.now() - STALE_TEMP_AGE_MS - 60_000);
    for (const file of stale) {
      writeFileSync(join(clone, file), `${tip}\n`);
      utimesSync(join(clone, file), longAgo, longAgo);
    }
    // A scratch ref of a write that may still run (another process sharing the clone) stays.
    const young = 'refs/trainyard/pending/running-write';
    writeFileSync(join(clone, young), `${tip}\n`);

    const moved = outside.commit({ 'a.txt': 'two\n' });
    outside.git(['push', '--quiet', 'origin', 'main']);
    const prepared = await prepareClone(service);

    expect(prepared.action).toBe('reused');
    expect(prepared.fetchError).toBeUndefined();
    expect([...prepared.removedStaleFiles].sort()).toEqual([...stale].sort());
    for (const file of stale) expect(existsSync(join(clone, file)), file).toBe(false);
    expect(existsSync(join(clone, young))).toBe(true);
    expect(tipOf(clone)).toBe(moved);
  });

  it('replaces a corrupt clone (its objects gone) and has the remote branch again', async () => {
    const { outside, clone, service } = await clonedRemote();
    for (const [path] of filesUnder(join(clone, 'objects'))) rmSync(join(clone, 'objects', path));
    expect(existsSync(join(clone, CLONE_MARKER))).toBe(true);

    const prepared = await prepareClone(service);
    expect(prepared.action).toBe('replaced');
    expect(prepared.corruption).toEqual(expect.any(String));
    expect(prepared.corruption).not.toBe('');
    expect(tipOf(clone)).toBe(outside.tip());
    expect(run(clone, ['fsck', '--connectivity-only', '--no-dangling'])).toBe('');
    expect(existsSync(join(clone, CLONE_MARKER))).toBe(true);
  });

  it('reuses a sound clone when the remote is unreachable, with the fetch error returned', async () => {
    const { clone } = await clonedRemote();
    const tip = tipOf(clone);
    const unreachable = remoteFor(clone, `http://127.0.0.1:${await closedPort()}/x.git`);

    const prepared = await prepareClone(unreachable);
    expect(prepared.action).toBe('reused');
    expect(prepared.fetchError).toBeInstanceOf(AppError);
    expect((prepared.fetchError as AppError).code).toBe('REMOTE_UNAVAILABLE');
    expect(tipOf(clone)).toBe(tip);
  });
});
