// A git server for tests: a bare "remote" manifest repo (file:// URL) seeded with a world, an
// "outside" work-tree clone that commits and pushes the way a person or another replica would, and
// the service's own clone of it with an app on top. Everything lives in temporary directories.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';
import { type App, type AppDependencies, buildApp } from '../../src/app.js';
import { type PreparedClone, prepareClone } from '../../src/manifest/clone.js';
import { Remote } from '../../src/manifest/remote.js';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import { FIXED_TIME } from './appHarness.js';
import {
  copyTemplate,
  createFixtureRepo,
  type FixtureFiles,
  type FixtureRepo,
  git,
  seededBareTemplate,
} from './gitFixture.js';

export interface RemoteWorld {
  /** The temporary directory holding the remote, the service's clone and the test's scripts. */
  readonly root: string;
  /** The bare repository the service pushes to. */
  readonly remotePath: string;
  readonly url: string;
  /** Where the service keeps its clone. */
  readonly clonePath: string;
  /** A work-tree clone of the remote, with its own identity (Fixture Author), outside the service. */
  readonly outside: FixtureRepo;
  /** git in the bare remote. */
  remoteGit(args: string[]): string;
  /** What the remote's branch points to. */
  remoteTip(): string;
  /** What the service's clone's branch points to. */
  cloneTip(): string;
  /** Every ref of the remote with what it points to (to compare before and after). */
  remoteRefs(): string;
  /** Commits on the outside clone, on the remote's tip, without pushing. */
  commitOutside(files: FixtureFiles, message?: string): string;
  /** Commits on the outside clone, on the remote's tip, and pushes the commit to the remote's branch. */
  pushFromOutside(files: FixtureFiles, message?: string): string;
  /** Creates a tag on the outside clone (at `commit`, default the remote's tip) and pushes it. */
  pushTagFromOutside(tag: string, commit?: string): void;
  /** Makes an outside commit known to the remote (under refs/outside/) without moving its branch. */
  pushObjectsFromOutside(commit: string): void;
  /** Installs a hook of the remote (a shell script body); each run is counted. */
  installHook(name: string, body: string): void;
  /**
   * Runs `body` on the git server side each time the service connects to push, before the
   * server tells what its refs are (the service's clone starts receive-pack through this script).
   * Each run is counted under the name 'receive-pack'.
   */
  interceptPushes(body: string): void;
  /** The same for each fetch of the service (upload-pack), counted under the name 'upload-pack'. */
  interceptFetches(body: string): void;
  /** How often a counted script ran. */
  runs(name: string): number;
  /** Renames the remote away (it cannot be reached) and back. */
  takeRemoteAway(): Promise<void>;
  bringRemoteBack(): Promise<void>;
  cleanup(): Promise<void>;
}

const SHELL_SAFE = /^[A-Za-z0-9_./-]+$/;

const roots = new Set<string>();
// Importing this registers the file's last cleanup: a world its tests did not remove (one whose
// making failed half-way, too) goes, failed or not.
afterAll(() => Promise.all([...roots].map((root) => rm(root, { recursive: true, force: true }))));

/** No files: an empty remote (a new repository without a branch). */
export async function createRemoteWorld(files: FixtureFiles): Promise<RemoteWorld> {
  const root = await mkdtemp(join(tmpdir(), 'trainyard-remote-test-'));
  roots.add(root);
  if (!SHELL_SAFE.test(root)) throw new Error(`the temporary directory ${root} is not usable in scripts`);
  const remotePath = join(root, 'remote.git');
  const awayPath = join(root, 'remote.git.away');
  const clonePath = join(root, 'clone');
  const url = pathToFileURL(remotePath).href;
  // The remote as the outside clone's push seeded it (built once per run, copied: no process).
  mkdirSync(remotePath);
  copyTemplate(seededBareTemplate(files), remotePath);

  const outside = await createFixtureRepo(files);
  // What `git remote add origin <url>` writes.
  appendFileSync(
    join(outside.path, '.git', 'config'),
    `[remote "origin"]\n\turl = ${url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
  );

  const counted = (name: string, body: string) =>
    [
      '#!/bin/sh',
      `echo run >> ${join(root, `${name}.runs`)}`,
      `REMOTE=${remotePath}`,
      `RUN=$(wc -l < ${join(root, `${name}.runs`)})`,
      // An explicit identity for commits a script makes on the server.
      'export GIT_AUTHOR_NAME="Other Replica" GIT_AUTHOR_EMAIL=other@example.com',
      'export GIT_COMMITTER_NAME="Other Replica" GIT_COMMITTER_EMAIL=other@example.com',
      body,
      '',
    ].join('\n');

  const onRemoteTip = () => {
    outside.git(['fetch', '--quiet', 'origin']);
    outside.git(['reset', '--quiet', '--hard', 'origin/main']);
  };

  const world: RemoteWorld = {
    root,
    remotePath,
    url,
    clonePath,
    outside,
    remoteGit: (args) => git(remotePath, args),
    remoteTip: () => git(remotePath, ['rev-parse', 'refs/heads/main']).trim(),
    cloneTip: () => git(clonePath, ['rev-parse', 'refs/heads/main']).trim(),
    remoteRefs: () => git(remotePath, ['for-each-ref', '--format=%(objectname) %(refname)']),
    commitOutside(more, message = 'outside commit') {
      onRemoteTip();
      return outside.commit(more, { message });
    },
    pushFromOutside(more, message = 'outside commit') {
      const commit = world.commitOutside(more, message);
      outside.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      return commit;
    },
    pushTagFromOutside(tag, commit) {
      outside.git(['fetch', '--quiet', 'origin']);
      outside.git(['tag', tag, commit ?? 'origin/main']);
      outside.git(['push', '--quiet', 'origin', `refs/tags/${tag}`]);
    },
    pushObjectsFromOutside(commit) {
      outside.git(['push', '--quiet', 'origin', `${commit}:refs/outside/${commit}`]);
    },
    installHook(name, body) {
      writeFileSync(join(remotePath, 'hooks', name), counted(name, body), { mode: 0o755 });
    },
    interceptPushes(body) {
      const script = join(root, 'receive-pack.sh');
      writeFileSync(script, counted('receive-pack', `${body}\nexec git receive-pack "$@"`), { mode: 0o755 });
      git(clonePath, ['config', 'remote.origin.receivepack', script]);
    },
    interceptFetches(body) {
      const script = join(root, 'upload-pack.sh');
      writeFileSync(script, counted('upload-pack', `${body}\nexec git upload-pack "$@"`), { mode: 0o755 });
      git(clonePath, ['config', 'remote.origin.uploadpack', script]);
    },
    runs(name) {
      const file = join(root, `${name}.runs`);
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    },
    takeRemoteAway: () => rename(remotePath, awayPath),
    bringRemoteBack: () => rename(awayPath, remotePath),
    async cleanup() {
      await outside.cleanup();
      await rm(root, { recursive: true, force: true });
      roots.delete(root);
    },
  };
  return world;
}

export interface RemoteService {
  readonly remote: Remote;
  readonly repo: ManifestRepository;
  readonly app: App;
  readonly prepared: PreparedClone;
  close(): Promise<void>;
}

export interface RemoteServiceOptions {
  readonly pushAttempts?: number;
  readonly fetchIntervalMs?: number;
  /** Another URL for the same clone (default: the world's). */
  readonly url?: string;
  /** How long a fetch or push may take (default 15 s). */
  readonly timeoutMs?: number;
  /** More of buildApp's dependencies (authentication, permissions). */
  readonly dependencies?: Omit<AppDependencies, 'repo' | 'clock' | 'remoteSync'>;
}

/** A Remote, its clone (prepared the way the server does at start), the repository and the app. */
export async function startRemoteService(
  world: RemoteWorld,
  {
    pushAttempts = 3,
    fetchIntervalMs = 60_000,
    url = world.url,
    timeoutMs = 15_000,
    dependencies = {},
  }: RemoteServiceOptions = {},
): Promise<RemoteService> {
  const remote = new Remote({ repoPath: world.clonePath, url, branch: 'main', timeoutMs });
  const prepared = await prepareClone(remote);
  const repo = createManifestRepository({ path: world.clonePath, branch: 'main', remote });
  const app = await buildApp({
    repo,
    clock: () => FIXED_TIME,
    remoteSync: { fetchIntervalMs, pushAttempts },
    ...dependencies,
  }).catch((error: unknown) => {
    repo.close();
    throw error;
  });
  return {
    remote,
    repo,
    app,
    prepared,
    async close() {
      await app.close();
      repo.close();
    },
  };
}
