// Lock files of git's ref store (`refs/heads/main.lock`, `packed-refs.lock`) that a killed git
// process left: writes answer 503 naming the file, /readyz is 503 while it is there, both recover
// by themselves once it is gone, and a lock older than the stale age is removed by the service.
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import { STALE_LOCK_AGE_MS } from '../../src/manifest/staleFiles.js';
import { FIXED_TIME } from '../support/appHarness.js';
import { createFixtureRepo, type FixtureRepo, git, removeAllFixtures } from '../support/gitFixture.js';
import { AUTHOR_HEADERS, expectError } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { createRemoteWorld, type RemoteWorld, startRemoteService } from '../support/remoteFixture.js';

const WORLD = layoutFiles({
  apps: { checkout: { team: 'shop', releases: { 1: ['dev'] } } },
  environments: { dev: { config: { upstream: { latest: true } }, deployed: { checkout: 1 } } },
});

interface Service {
  readonly fixture: FixtureRepo;
  readonly repo: ManifestRepository;
  readonly app: App;
  readonly warnings: { details: Record<string, unknown>; message: string }[];
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await removeAllFixtures();
});

async function startService(): Promise<Service> {
  const fixture = await createFixtureRepo(WORLD);
  const warnings: Service['warnings'] = [];
  const repo = createManifestRepository({
    path: fixture.path,
    branch: 'main',
    warn: (details, message) => warnings.push({ details, message }),
  });
  await repo.open();
  const app = await buildApp({ repo, clock: () => FIXED_TIME });
  closers.push(async () => {
    await app.close();
    repo.close();
  });
  return { fixture, repo, app, warnings };
}

function putLock(app: App, id: string) {
  return app.inject({
    method: 'PUT',
    url: `/api/environments/dev/locks/${id}`,
    headers: { ...AUTHOR_HEADERS, 'x-request-id': `request-${id}` },
    payload: { message: 'held' },
  });
}

/** A lock file as a killed git leaves it; `ageMs` back-dates it. */
function leaveLockFile(gitDir: string, file: string, ageMs = 0): string {
  const path = join(gitDir, file);
  writeFileSync(path, '');
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
  return path;
}

function expectNoHostPath(text: string, fixture: FixtureRepo): void {
  expect(text).not.toContain(fixture.path);
  expect(text).not.toContain(tmpdir());
}

describe('a lock file of the branch', () => {
  it('makes writes 503 REPO_BUSY naming it (no host path), /readyz 503 naming it, and both recover once it is gone', async () => {
    const { fixture, app } = await startService();
    const before = fixture.tip();
    const lock = leaveLockFile(join(fixture.path, '.git'), 'refs/heads/main.lock');

    const refused = await putLock(app, 'while-locked');
    const body = expectError(refused, 503, 'REPO_BUSY');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(body.message).toContain('refs/heads/main.lock');
    expectNoHostPath(refused.body, fixture);
    expect(fixture.tip()).toBe(before);
    const unready = await app.inject({ url: '/readyz' });
    expect(expectError(unready, 503, 'REPO_BUSY').message).toContain('refs/heads/main.lock');
    expectNoHostPath(unready.body, fixture);

    git(fixture.path, ['status']); // plain git still works on the repo meanwhile
    rmSync(lock);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await putLock(app, 'after-unlock')).statusCode).toBe(200);
    expect(fixture.git(['ls-tree', '--name-only', 'main', 'environments/dev/locks/']).trim()).toBe(
      'environments/dev/locks/after-unlock',
    );
  });

  it('is removed by the service once it is older than the stale age: by /readyz and by a write, with a warning', async () => {
    const { fixture, app, warnings } = await startService();
    const gitDir = join(fixture.path, '.git');
    const stale = leaveLockFile(gitDir, 'refs/heads/main.lock', STALE_LOCK_AGE_MS + 60_000);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect(existsSync(stale)).toBe(false);
    expect(warnings.map((warning) => warning.details)).toEqual([{ file: 'refs/heads/main.lock' }]);

    leaveLockFile(gitDir, 'refs/heads/main.lock', STALE_LOCK_AGE_MS + 60_000);
    expect((await putLock(app, 'through-a-stale-lock')).statusCode).toBe(200);
    expect(existsSync(stale)).toBe(false);
    expect(warnings).toHaveLength(2);
  });

  it('a young one is never removed by the service', async () => {
    const { fixture, app } = await startService();
    const young = leaveLockFile(
      join(fixture.path, '.git'),
      'refs/heads/main.lock',
      STALE_LOCK_AGE_MS - 60_000,
    );
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect(existsSync(young)).toBe(true);
  });
});

describe('packed-refs.lock', () => {
  it('/readyz is 503 naming it; a write still commits, and the scratch ref it could not delete is warned about', async () => {
    const { fixture, app, warnings } = await startService();
    const before = fixture.tip();
    const lock = leaveLockFile(join(fixture.path, '.git'), 'packed-refs.lock');

    const unready = await app.inject({ url: '/readyz' });
    expect(expectError(unready, 503, 'REPO_BUSY').message).toContain('packed-refs.lock');
    const written = await putLock(app, 'despite-packed-refs-lock');
    expect(written.statusCode).toBe(200);
    expect(fixture.git(['rev-parse', 'main^']).trim()).toBe(before);
    const left = fixture.git(['for-each-ref', '--format=%(refname)', 'refs/trainyard/']).trim();
    expect(left).toMatch(/^refs\/trainyard\/pending\/\S+$/);
    expect(warnings).toEqual([
      {
        details: expect.objectContaining({ ref: left, lockFile: 'packed-refs.lock' }),
        message: expect.stringContaining('scratch ref'),
      },
    ]);

    rmSync(lock);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('a lock file in the clone of a remote', () => {
  let world: RemoteWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  it('makes a write that must fetch 503 REPO_BUSY naming it, with nothing pushed; it works again once the file is gone', async () => {
    world = await createRemoteWorld(WORLD);
    const service = await startRemoteService(world);
    closers.push(() => service.close());
    world.pushFromOutside({ 'environments/dev/locks/outside/message': 'from outside\n' });
    const remoteBefore = world.remoteTip();
    const lock = leaveLockFile(world.clonePath, 'refs/heads/main.lock');

    const refused = await putLock(service.app, 'while-clone-locked');
    expect(expectError(refused, 503, 'REPO_BUSY').message).toContain('refs/heads/main.lock');
    expect(refused.body).not.toContain(world.root);
    expect(world.remoteTip()).toBe(remoteBefore);

    rmSync(lock);
    expect((await putLock(service.app, 'after-clone-unlock')).statusCode).toBe(200);
    expect(world.remoteGit(['rev-parse', 'main^']).trim()).toBe(remoteBefore);
  });
});
