// A write whose commit reached the branch (here, or on the git server) is answered as a success:
// what fails after it (deriving the next snapshot, moving the clone's refs) is logged and the kept
// snapshots are dropped, never a 500 that makes a client retry (a retried auto-numbered release
// would become a second release).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Harness, startHarness } from '../support/appHarness.js';
import { AUTHOR_HEADERS } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import { createRemoteWorld, type RemoteWorld, startRemoteService } from '../support/remoteFixture.js';
import { expectTipSnapshotEqualsFullRead } from '../support/snapshotEquality.js';

const ALL = ['dev', 'staging'];
const WORLD = layoutFiles({
  apps: { checkout: { team: 'shop', releases: { 1: ALL, 2: ALL } } },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1 } },
  },
});

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly commitId?: string;
  readonly err?: { message: string };
}

/** A logger that keeps every line, for the logger option of buildApp. */
function capturingLogger(): {
  lines: LogLine[];
  logger: { level: string; stream: { write(line: string): void } };
} {
  const lines: LogLine[] = [];
  return { lines, logger: { level: 'info', stream: { write: (line) => void lines.push(JSON.parse(line)) } } };
}

const ERROR_LEVEL = 50;

function release(fields: Record<string, string>) {
  const { payload, contentType } = fieldsBody(fields);
  return {
    method: 'POST' as const,
    url: '/api/release',
    headers: { ...AUTHOR_HEADERS, 'content-type': contentType },
    payload,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a local commit, then a failure while keeping the next snapshot', () => {
  let harness: Harness;

  it('answers the release as created, logs the failure, and reads the next request from git', async () => {
    const { lines, logger } = capturingLogger();
    harness = await startHarness(WORLD, { logger });
    cleanups.push(() => harness.close());
    await harness.app.inject({ url: '/api/overview' });
    // No real failure of this step is known: it is injected at the one call that keeps the
    // derived snapshot (the commit before it is real).
    vi.spyOn(harness.repo, 'remember').mockRejectedValueOnce(new Error('derivation failed'));
    const before = harness.fixture.tip();

    const response = await harness.app.inject(
      release({ application: 'checkout', 'manifests[dev]': 'v: 3\n' }),
    );

    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({ application: 'checkout', version: 3 });
    const tip = harness.fixture.tip();
    expect(harness.fixture.git(['rev-list', '--count', `${before}..${tip}`]).trim()).toBe('1');
    const logged = lines.find((line) => line.level >= ERROR_LEVEL && line.commitId === tip);
    expect(logged?.err?.message).toBe('derivation failed');
    // The next request sees the release (read from git, not the snapshot before the commit).
    const overview = (await harness.app.inject({ url: '/api/overview' })).json();
    expect(overview.applications.checkout.releases).toEqual([1, 2, 3]);
    await expectTipSnapshotEqualsFullRead(harness.repo, harness.fixture.path);
  });
});

describe("a push the server took, then the clone's branch cannot follow", () => {
  async function setUp() {
    const world: RemoteWorld = await createRemoteWorld(WORLD);
    cleanups.push(() => world.cleanup());
    const { lines, logger } = capturingLogger();
    const service = await startRemoteService(world, { dependencies: { logger } });
    cleanups.push(() => service.close());
    return { world, service, app: service.app, lines };
  }

  /** Release commits of checkout on the remote's branch, by version. */
  function releasesOnRemote(world: RemoteWorld): string[] {
    return world
      .remoteGit(['ls-tree', '--name-only', 'main', 'applications/checkout/releases/'])
      .split('\n')
      .filter(Boolean)
      .map((path) => path.split('/').at(-1) as string);
  }

  it('answers an auto-numbered release as created, once, and logs why the clone is behind', async () => {
    const { world, app, lines } = await setUp();
    const seeded = world.remoteTip();
    // A ref lock git left behind in the clone: fetching an unchanged branch still works, moving it does not.
    const lockFile = join(world.clonePath, 'refs', 'heads', 'main.lock');
    writeFileSync(lockFile, '');

    const response = await app.inject(release({ application: 'checkout', 'manifests[dev]': 'v: 3\n' }));

    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({ application: 'checkout', version: 3 });
    expect(releasesOnRemote(world)).toEqual(['1', '2', '3']);
    expect(world.remoteGit(['rev-list', '--count', `${seeded}..main`]).trim()).toBe('1');
    expect(world.cloneTip()).toBe(seeded);
    const logged = lines.find((line) => line.level >= ERROR_LEVEL && line.commitId === world.remoteTip());
    expect(logged?.err?.message).toContain('main.lock');
  });

  it('answers a retry of the same release 200 (the same release exists), not a second release', async () => {
    const { world, app } = await setUp();
    const seeded = world.remoteTip();
    const lockFile = join(world.clonePath, 'refs', 'heads', 'main.lock');
    writeFileSync(lockFile, '');
    const form = { application: 'checkout', version: '7', 'manifests[dev]': 'v: 7\n' };

    const first = await app.inject(release(form));
    expect(first.statusCode, first.body).toBe(201);

    // Whatever held the ref lock is done; a client that did not trust the answer sends it again.
    rmSync(lockFile);
    const retry = await app.inject(release(form));
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toEqual({ application: 'checkout', version: 7 });
    expect(releasesOnRemote(world)).toEqual(['1', '2', '7']);
    expect(world.remoteGit(['rev-list', '--count', `${seeded}..main`]).trim()).toBe('1');
    expect(world.cloneTip()).toBe(world.remoteTip());
  });
});
