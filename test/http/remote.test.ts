// The service on a remote manifest repo (a bare repo behind a file:// URL): every write fetches
// first, is pushed with a lease before it is answered, is planned again when the branch moved
// meanwhile, and every answer of the git server maps to its own status. Each check reads the
// remote with plain git, the way a user (or Argo CD) would.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import { prepareClone } from '../../src/manifest/clone.js';
import { Remote } from '../../src/manifest/remote.js';
import { createManifestRepository } from '../../src/manifest/repository.js';
import { FIXED_TIME } from '../support/appHarness.js';
import { git } from '../support/gitFixture.js';
import { AUTHOR, AUTHOR_HEADERS, COMMITTER, expectError } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import {
  createRemoteWorld,
  type RemoteService,
  type RemoteServiceOptions,
  type RemoteWorld,
  startRemoteService,
} from '../support/remoteFixture.js';

const ALL = ['dev', 'staging', 'prod-de', 'prod-fr'];

// A train to staging deploys checkout 3; a train to the group prod deploys staging's versions
// (checkout 2, search 2) to prod-de and prod-fr.
const WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ALL, 2: ALL, 3: ALL } },
    search: { team: 'discovery', releases: { 1: ALL, 2: ALL } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 3, search: 2 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 2, search: 2 } },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1, search: 1 },
    },
    'prod-fr': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1, search: 1 },
    },
  },
});

/** An environment lock on prod-de, as a person would commit it. */
const PROD_DE_LOCK = layoutFiles({
  environments: { 'prod-de': { locks: { freeze: { message: 'outside freeze' } } } },
});

const PROD_TRAIN = '/api/environment-groups/prod/releasetrain';
const STAGING_TRAIN = '/api/environments/staging/releasetrain';
const PROD_PROGNOSIS = '/api/environment-groups/prod/releasetrain/prognosis';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newWorld(files = WORLD): Promise<RemoteWorld> {
  const world = await createRemoteWorld(files);
  cleanups.push(() => world.cleanup());
  return world;
}

async function startService(world: RemoteWorld, options?: RemoteServiceOptions): Promise<RemoteService> {
  const service = await startRemoteService(world, options);
  cleanups.push(() => service.close());
  return service;
}

async function setUp(options?: RemoteServiceOptions, files = WORLD) {
  const world = await newWorld(files);
  const service = await startService(world, options);
  return { world, service, app: service.app };
}

// ---------------------------------------------------------------------------------------------
// Reading the remote with plain git.

/** The version of an app deployed in an environment on the remote's branch; undefined: none. */
function versionOnRemote(world: RemoteWorld, env: string, app: string, rev = 'main'): number | undefined {
  const path = `environments/${env}/applications/${app}/version`;
  if (world.remoteGit(['ls-tree', rev, '--', path]).trim() === '') return undefined;
  return Number(
    world
      .remoteGit(['cat-file', '-p', `${rev}:${path}`])
      .split('/')
      .at(-1),
  );
}

/** The parent of the remote's tip. */
function remoteParent(world: RemoteWorld): string {
  return world.remoteGit(['rev-parse', 'main^']).trim();
}

/** Commits the service made anywhere on the remote (any ref). */
function serviceCommitsOnRemote(world: RemoteWorld): number {
  return world
    .remoteGit(['log', '--all', '--format=%cn <%ce>'])
    .split('\n')
    .filter((line) => line === COMMITTER).length;
}

function expectLinearHistory(world: RemoteWorld, commits: number): void {
  expect(world.remoteGit(['rev-list', '--merges', 'main']).trim()).toBe('');
  expect(world.remoteGit(['rev-list', '--count', 'main']).trim()).toBe(String(commits));
}

async function pushRetries(app: App): Promise<number> {
  const response = await app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  const match = /^trainyard_git_push_retries_total (\d+)$/m.exec(response.body);
  expect(match, 'the push retry counter is exported').not.toBeNull();
  return Number(match?.[1]);
}

type Prognoses = Record<
  string,
  { skipCause?: string; appsPrognoses?: { prognoses: Record<string, unknown> } }
>;

function appPrognosis(body: { envsPrognoses: Prognoses }, env: string, app: string): unknown {
  return body.envsPrognoses[env]?.appsPrognoses?.prognoses[app];
}

/** A line of a server-side script that moves the remote's branch to `commit`. */
function moveBranchTo(commit: string): string {
  return `git --git-dir="$REMOTE" update-ref refs/heads/main ${commit}`;
}

/** A server-side script line that puts a new (empty) commit of another replica on the branch. */
const ANOTHER_REPLICA_COMMITS = [
  'tip=$(git --git-dir="$REMOTE" rev-parse refs/heads/main)',
  'new=$(git --git-dir="$REMOTE" commit-tree -p "$tip" -m "another replica" "$tip^{tree}")',
  'git --git-dir="$REMOTE" update-ref refs/heads/main "$new" "$tip"',
].join('\n');

// ---------------------------------------------------------------------------------------------

describe('writes on a remote manifest repo', () => {
  it("answers a train only once it is on the remote's branch; the clone follows; history stays linear", async () => {
    const { world, app } = await setUp();
    const seeded = world.remoteTip();

    const staging = await app.inject({
      method: 'PUT',
      url: STAGING_TRAIN,
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'remote-train-1' },
    });
    expect(staging.statusCode, staging.body).toBe(200);
    const first = staging.json().commitId as string;
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(world.remoteTip()).toBe(first);
    expect(world.cloneTip()).toBe(first);
    expect(remoteParent(world)).toBe(seeded);
    expect(versionOnRemote(world, 'staging', 'checkout')).toBe(3);
    expect(world.remoteGit(['log', '-1', '--format=%an <%ae>%n%cn <%ce>', 'main']).trim()).toBe(
      `${AUTHOR.name} <${AUTHOR.email}>\n${COMMITTER}`,
    );
    expect(
      world.remoteGit(['log', '-1', '--format=%(trailers:key=Request-Id,valueonly)', 'main']).trim(),
    ).toBe('remote-train-1');

    const prod = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    expect(prod.statusCode, prod.body).toBe(200);
    expect(world.remoteTip()).toBe(prod.json().commitId);
    expect(world.cloneTip()).toBe(world.remoteTip());
    expect(remoteParent(world)).toBe(first);
    expect(versionOnRemote(world, 'prod-de', 'checkout')).toBe(3);
    expect(versionOnRemote(world, 'prod-fr', 'search')).toBe(2);
    expectLinearHistory(world, 3);
  });

  it('fetches before planning: a lock pushed from outside between two trains makes the second skip it', async () => {
    const { world, app } = await setUp();
    expect((await app.inject({ method: 'PUT', url: STAGING_TRAIN })).statusCode).toBe(200);

    const lock = world.pushFromOutside(PROD_DE_LOCK, 'Lock prod-de');
    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    expect(train.statusCode, train.body).toBe(200);
    expect(train.json().envsPrognoses['prod-de']).toMatchObject({
      skipCause: 'ENV_IS_LOCKED',
      envLocks: { freeze: { lockId: 'freeze', message: 'outside freeze' } },
    });
    expect(appPrognosis(train.json(), 'prod-fr', 'checkout')).toEqual({ deployedVersion: { version: 3 } });
    // Planned on the outside commit, and nothing changed in the locked environment.
    expect(remoteParent(world)).toBe(lock);
    expect(world.remoteGit(['diff', '--name-only', lock, 'main', '--', 'environments/prod-de']).trim()).toBe(
      '',
    );
    expect(versionOnRemote(world, 'prod-de', 'checkout')).toBe(1);
    expect(versionOnRemote(world, 'prod-fr', 'checkout')).toBe(3);
    expect(world.cloneTip()).toBe(world.remoteTip());
    expectLinearHistory(world, 4);
  });

  it('plans again on the new tip when the branch moved between its fetch and its push (stale lease)', async () => {
    const { world, app } = await setUp();
    // Another replica locks prod-de just before the service's push reaches the server.
    const lock = world.commitOutside(PROD_DE_LOCK, 'Lock prod-de');
    world.pushObjectsFromOutside(lock);
    world.interceptPushes(`if [ "$RUN" -eq 1 ]; then ${moveBranchTo(lock)}; fi`);

    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    expect(train.statusCode, train.body).toBe(200);
    expect(train.json().envsPrognoses['prod-de']).toMatchObject({ skipCause: 'ENV_IS_LOCKED' });
    expect(appPrognosis(train.json(), 'prod-fr', 'checkout')).toEqual({ deployedVersion: { version: 2 } });
    expect(world.runs('receive-pack')).toBe(2);
    expect(world.remoteTip()).toBe(train.json().commitId);
    expect(remoteParent(world)).toBe(lock);
    expect(versionOnRemote(world, 'prod-de', 'checkout')).toBe(1);
    expect(versionOnRemote(world, 'prod-fr', 'checkout')).toBe(2);
    expect(world.cloneTip()).toBe(world.remoteTip());
    expect(await pushRetries(app)).toBe(1);
    expectLinearHistory(world, 3);
  });

  // The same race, lost on the server instead of in the client's lease check: two replicas both
  // saw the old tip advertised, the other one's ref update won. With `--atomic`, receive-pack
  // reports every ref as "atomic transaction failed" (the "cannot lock ref ... but expected ..."
  // is only in stderr), and classifyPush takes that for a refusal.
  it('plans again when it lost the race on the server (the branch moved during pre-receive)', async () => {
    const { world, app } = await setUp();
    const lock = world.commitOutside(PROD_DE_LOCK, 'Lock prod-de');
    world.pushObjectsFromOutside(lock);
    // Ref updates are refused inside the quarantine of the pushed objects; outside it they work.
    world.installHook(
      'pre-receive',
      `if [ "$RUN" -eq 1 ]; then env -u GIT_QUARANTINE_PATH ${moveBranchTo(lock)}; fi\nexit 0`,
    );

    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    // The hook did move the branch on its first run.
    expect(world.remoteGit(['merge-base', '--is-ancestor', lock, 'main'])).toBe('');
    expect(train.statusCode, train.body).toBe(200);
    expect(train.json().envsPrognoses['prod-de']).toMatchObject({ skipCause: 'ENV_IS_LOCKED' });
    expect(world.runs('pre-receive')).toBe(2);
    expect(remoteParent(world)).toBe(lock);
    expect(versionOnRemote(world, 'prod-fr', 'checkout')).toBe(2);
    expect(await pushRetries(app)).toBeGreaterThanOrEqual(1);
  });

  it('gives up after pushAttempts pushes that all found the branch moved: 503 REPO_BUSY with Retry-After', async () => {
    const { world, app } = await setUp({ pushAttempts: 3 });
    const seeded = world.remoteTip();
    world.interceptPushes(ANOTHER_REPLICA_COMMITS);

    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    expectError(train, 503, 'REPO_BUSY');
    expect(Number(train.headers['retry-after'])).toBeGreaterThan(0);
    expect(world.runs('receive-pack')).toBe(3);
    // Only the other replica's three commits: no commit of the service's anywhere on the remote.
    expect(world.remoteGit(['rev-list', '--count', `${seeded}..main`]).trim()).toBe('3');
    expect(serviceCommitsOnRemote(world)).toBe(0);
    expect(versionOnRemote(world, 'prod-de', 'checkout')).toBe(1);
    expect(await pushRetries(app)).toBe(2);

    // Once the other replica is done, the next train goes through.
    git(world.clonePath, ['config', '--unset', 'remote.origin.receivepack']);
    const again = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    expect(again.statusCode, again.body).toBe(200);
    expect(world.remoteTip()).toBe(again.json().commitId);
    expectLinearHistory(world, 5);
  });

  it('answers 502 REMOTE_REJECTED with the reason when the server refuses, without retrying or writing', async () => {
    const { world, app } = await setUp();
    world.installHook('pre-receive', 'echo "pushes are frozen: change freeze until Monday" >&2\nexit 1');
    const refs = world.remoteRefs();

    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    const body = expectError(train, 502, 'REMOTE_REJECTED');
    expect(body.message).toContain('pushes are frozen: change freeze until Monday');
    expect(body.message).toContain('pre-receive hook declined');
    expect(world.runs('pre-receive')).toBe(1);
    expect(world.remoteRefs()).toBe(refs);
    expect(serviceCommitsOnRemote(world)).toBe(0);
    expect(world.cloneTip()).toBe(world.remoteTip());
    expect(await pushRetries(app)).toBe(0);

    // The same for any write, e.g. a lock.
    const lock = await app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/locks/maintenance',
      payload: { message: 'db migration' },
    });
    expectError(lock, 502, 'REMOTE_REJECTED');
    expect(world.runs('pre-receive')).toBe(2);
    expect(world.remoteRefs()).toBe(refs);
    expect(world.cloneTip()).toBe(world.remoteTip());
  });
});

describe('git tags on a remote manifest repo', () => {
  it("pushes a train's gitTag with its commit", async () => {
    const { world, app } = await setUp();
    const train = await app.inject({ method: 'PUT', url: `${PROD_TRAIN}?gitTag=train-2026-11-26` });
    expect(train.statusCode, train.body).toBe(200);
    expect(train.json()).toMatchObject({ gitTag: 'train-2026-11-26' });
    const commitId = train.json().commitId as string;
    expect(world.remoteGit(['rev-parse', 'refs/tags/train-2026-11-26']).trim()).toBe(commitId);
    expect(world.remoteTip()).toBe(commitId);
    expect(git(world.clonePath, ['rev-parse', 'refs/tags/train-2026-11-26']).trim()).toBe(commitId);
  });

  it('refuses a gitTag pushed from outside after the last fetch: 409 TAG_EXISTS, nothing changes on the remote', async () => {
    const { world, app } = await setUp();
    world.pushTagFromOutside('taken');
    const refs = world.remoteRefs();

    const train = await app.inject({ method: 'PUT', url: `${PROD_TRAIN}?gitTag=taken` });

    expectError(train, 409, 'TAG_EXISTS');
    expect(world.remoteRefs()).toBe(refs);
    expect(serviceCommitsOnRemote(world)).toBe(0);
  });

  it('refuses a gitTag made on the server between its fetch and its push: 409 TAG_EXISTS, no branch move', async () => {
    const { world, app } = await setUp();
    const seeded = world.remoteTip();
    world.interceptPushes(`git --git-dir="$REMOTE" update-ref refs/tags/late ${seeded}`);

    const train = await app.inject({ method: 'PUT', url: `${PROD_TRAIN}?gitTag=late` });

    expectError(train, 409, 'TAG_EXISTS');
    expect(world.runs('receive-pack')).toBe(1);
    expect(world.remoteTip()).toBe(seeded);
    expect(world.remoteGit(['rev-parse', 'refs/tags/late']).trim()).toBe(seeded);
    expect(serviceCommitsOnRemote(world)).toBe(0);
  });

  it('takes a sourceGitTag that only the remote has (fetched first); an unknown one is 404', async () => {
    const { world, app } = await setUp();
    // Tested with staging at checkout 2; afterwards staging moves on to checkout 3.
    world.pushTagFromOutside('tested');
    world.pushFromOutside(layoutFiles({ environments: { staging: { deployed: { checkout: 3 } } } }));
    expect(git(world.clonePath, ['tag', '--list']).trim()).toBe('');

    const train = await app.inject({ method: 'PUT', url: `${PROD_TRAIN}?sourceGitTag=tested` });

    expect(train.statusCode, train.body).toBe(200);
    expect(appPrognosis(train.json(), 'prod-fr', 'checkout')).toEqual({ deployedVersion: { version: 2 } });
    expect(world.remoteTip()).toBe(train.json().commitId);
    expect(versionOnRemote(world, 'prod-fr', 'checkout')).toBe(2);
    expect(versionOnRemote(world, 'staging', 'checkout')).toBe(3);

    const tip = world.remoteTip();
    const unknown = await app.inject({ method: 'PUT', url: `${PROD_TRAIN}?sourceGitTag=nope` });
    expect(expectError(unknown, 404, 'TAG_NOT_FOUND').message).toContain("'nope'");
    expect(world.remoteTip()).toBe(tip);
  });
});

describe('an unreachable remote', () => {
  it('answers 502 REMOTE_UNAVAILABLE while the remote is gone and works again once it is back', async () => {
    const { world, app } = await setUp();
    expect((await app.inject({ method: 'PUT', url: STAGING_TRAIN })).statusCode).toBe(200);
    const tip = world.remoteTip();

    await world.takeRemoteAway();
    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    const body = expectError(train, 502, 'REMOTE_UNAVAILABLE');
    expect(body.message).toMatch(/^git fetch from file:\/\/\/\S+ failed: \S/);
    expect(train.headers['retry-after']).toBe('5');
    // Reads are served from the clone meanwhile.
    const prognosis = await app.inject({ url: PROD_PROGNOSIS });
    expect(prognosis.statusCode).toBe(200);
    expect(appPrognosis(prognosis.json(), 'prod-de', 'checkout')).toEqual({
      deployedVersion: { version: 3 },
    });

    await world.bringRemoteBack();
    expect(world.remoteTip()).toBe(tip);
    const again = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    expect(again.statusCode, again.body).toBe(200);
    expect(world.remoteTip()).toBe(again.json().commitId);
    expect(remoteParent(world)).toBe(tip);
    expect(world.cloneTip()).toBe(world.remoteTip());
  });

  // git ends its message about an unreachable remote with a hint ("Please make sure you have the
  // correct access rights\nand the repository exists."); the answer should say what failed.
  it('says why the remote cannot be reached', async () => {
    const { world, app } = await setUp();
    await world.takeRemoteAway();
    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    const body = expectError(train, 502, 'REMOTE_UNAVAILABLE');
    expect(body.message).toContain('does not appear to be a git repository');
  });

  it('answers 504 REMOTE_TIMEOUT when the git server hangs, and leaves no git process of it behind', async () => {
    const { world, app } = await setUp({ timeoutMs: 1500 });
    const seeded = world.remoteTip();
    const pidFile = join(world.root, 'hung.pid');
    world.interceptPushes(`sleep 30 &\necho $! > ${pidFile}\nwait`);

    const train = await app.inject({ method: 'PUT', url: PROD_TRAIN });

    const body = expectError(train, 504, 'REMOTE_TIMEOUT');
    expect(body.message).toContain('git push did not finish within 1.5 s');
    expect(train.headers['retry-after']).toBeDefined();
    expect(world.runs('receive-pack')).toBe(1);
    expect(world.remoteTip()).toBe(seeded);
    expect(serviceCommitsOnRemote(world)).toBe(0);
    // The whole process group was killed: the server side's children too.
    const hung = Number(readFileSync(pidFile, 'utf8').trim());
    await vi.waitFor(() => expect(isRunning(hung)).toBe(false), { timeout: 30_000, interval: 50 });

    git(world.clonePath, ['config', '--unset', 'remote.origin.receivepack']);
    const again = await app.inject({ method: 'PUT', url: PROD_TRAIN });
    expect(again.statusCode, again.body).toBe(200);
    expect(world.remoteTip()).toBe(again.json().commitId);
  });

  it('never shows the credentials of the URL', async () => {
    const world = await newWorld();
    // The clone exists; then the service is started on a URL with a token that nothing answers.
    await (await startRemoteService(world)).close();
    const port = await closedPort();
    const secret = 's3cr3t-t0ken';
    const service = await startService(world, { url: `http://trainyard:${secret}@127.0.0.1:${port}/m.git` });
    expect(service.prepared.action).toBe('reused');
    expect(service.prepared.fetchError?.message).not.toContain(secret);

    const train = await service.app.inject({ method: 'PUT', url: PROD_TRAIN });
    const body = expectError(train, 502, 'REMOTE_UNAVAILABLE');
    expect(body.message).toContain(`http://***@127.0.0.1:${port}/m.git`);
    expect(train.body).not.toContain(secret);
    expect(train.body).not.toContain('trainyard:');
    const ready = await service.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.body).not.toContain(secret);
  });
});

describe('an empty remote (a new repository)', () => {
  it('is cloned without a branch, and the first write creates the branch there', async () => {
    const { world, app, service } = await setUp({}, {});
    expect(service.prepared.action).toBe('cloned');
    expect(world.remoteGit(['for-each-ref']).trim()).toBe('');
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);

    const created = await app.inject({
      method: 'POST',
      url: '/api/environments/dev',
      headers: AUTHOR_HEADERS,
      payload: { upstream: { latest: true } },
    });

    expect(created.statusCode, created.body).toBe(201);
    expectLinearHistory(world, 1);
    expect(JSON.parse(world.remoteGit(['cat-file', '-p', 'main:environments/dev/config.json']))).toEqual({
      upstream: { latest: true },
    });
    expect(world.cloneTip()).toBe(world.remoteTip());
  });
});

describe('/readyz on a remote manifest repo', () => {
  it('is 200 after a fresh fetch', async () => {
    const { app, service } = await setUp();
    expect(service.prepared.action).toBe('cloned');
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok' });
  });

  it('is 503 while the clone was never fetched, and 200 once a write fetched it', async () => {
    const world = await newWorld();
    await (await startRemoteService(world)).close();
    await world.takeRemoteAway();

    // A restart while the remote is gone: the old clone is kept, but not fetched yet.
    const remote = new Remote({
      repoPath: world.clonePath,
      url: world.url,
      branch: 'main',
      timeoutMs: 15_000,
    });
    const prepared = await prepareClone(remote);
    expect(prepared.action).toBe('reused');
    expect(prepared.fetchError).toMatchObject({ code: 'REMOTE_UNAVAILABLE' });
    const repo = createManifestRepository({ path: world.clonePath, branch: 'main', remote });
    const app = await buildApp({
      repo,
      clock: () => FIXED_TIME,
      remoteSync: { fetchIntervalMs: 60_000, pushAttempts: 3 },
    });
    cleanups.push(async () => {
      await app.close();
      repo.close();
    });

    const notReady = await app.inject({ url: '/readyz' });
    expect(expectError(notReady, 503, 'REPO_BUSY').message).toContain('not fetched');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: PROD_PROGNOSIS })).statusCode).toBe(200);

    await world.bringRemoteBack();
    const train = await app.inject({ method: 'PUT', url: STAGING_TRAIN });
    expect(train.statusCode, train.body).toBe(200);
    expect(world.remoteTip()).toBe(train.json().commitId);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
  });
});

describe('releases and locks on a remote manifest repo', () => {
  it('pushes a release, a lock and its removal, each planned on the tip it fetched', async () => {
    const { world, app } = await setUp();

    const { payload, contentType } = multipart({
      application: 'search',
      'manifests[dev]': 'kind: Deployment\nname: search-dev\n',
      'manifests[staging]': 'kind: Deployment\nname: search-staging\n',
    });
    const release = await app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': contentType, ...AUTHOR_HEADERS, 'x-request-id': 'release-1' },
      payload,
    });
    expect(release.statusCode, release.body).toBe(201);
    expect(release.json()).toEqual({ application: 'search', version: 3 });
    expect(
      world.remoteGit([
        'cat-file',
        '-p',
        'main:applications/search/releases/3/environments/dev/manifests.yaml',
      ]),
    ).toBe('kind: Deployment\nname: search-dev\n');
    expect(
      world.remoteGit(['log', '-1', '--format=%(trailers:key=Request-Id,valueonly)', 'main']).trim(),
    ).toBe('release-1');
    expect(world.cloneTip()).toBe(world.remoteTip());

    // Someone else writes in between: the lock is planned on their commit.
    const outside = world.pushFromOutside(
      layoutFiles({ environments: { staging: { teamLocks: { shop: { audit: {} } } } } }),
      'Lock the shop team in staging',
    );
    const lockUrl = '/api/environments/prod-de/locks/maintenance';
    const lock = await app.inject({
      method: 'PUT',
      url: lockUrl,
      headers: AUTHOR_HEADERS,
      payload: { message: 'db migration' },
    });
    expect(lock.statusCode, lock.body).toBe(200);
    expect(remoteParent(world)).toBe(outside);
    const locked = world.remoteTip();
    expect(world.remoteGit(['cat-file', '-p', 'main:environments/prod-de/locks/maintenance/message'])).toBe(
      'db migration',
    );
    expect(
      world.remoteGit(['cat-file', '-p', 'main:environments/prod-de/locks/maintenance/created_by_email']),
    ).toBe(AUTHOR.email);
    expect(world.cloneTip()).toBe(locked);

    const unlock = await app.inject({ method: 'DELETE', url: lockUrl, headers: AUTHOR_HEADERS });
    expect(unlock.statusCode, unlock.body).toBe(204);
    expect(remoteParent(world)).toBe(locked);
    expect(world.remoteGit(['ls-tree', '-r', 'main', '--', 'environments/prod-de/locks']).trim()).toBe('');
    expect(world.cloneTip()).toBe(world.remoteTip());
    expectLinearHistory(world, 5);
    expect(serviceCommitsOnRemote(world)).toBe(3);
  });
});

describe('the background fetch', () => {
  it('brings what was pushed from outside into reads, without any write', async () => {
    const { world, app } = await setUp({ fetchIntervalMs: 100 });
    const before = await app.inject({ url: PROD_PROGNOSIS });
    expect(before.json().envsPrognoses['prod-de'].skipCause).toBeUndefined();

    world.pushFromOutside(PROD_DE_LOCK, 'Lock prod-de');

    await vi.waitFor(
      async () => {
        const prognosis = await app.inject({ url: PROD_PROGNOSIS });
        expect(prognosis.json().envsPrognoses['prod-de'].skipCause).toBe('ENV_IS_LOCKED');
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(world.cloneTip()).toBe(world.remoteTip());
  });
});

// ---------------------------------------------------------------------------------------------

/** A form of text fields, as Kuberpult's CI scripts send a release. */
const multipart = fieldsBody;

/** Whether a process is running (a zombie, killed and waiting to be reaped, is not). */
function isRunning(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return state?.[1] !== 'Z';
}

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
