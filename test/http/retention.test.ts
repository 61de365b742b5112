// Release retention (lifecycle.md "Release retention") against real git, through the HTTP API: the
// commit that deploys removes the old releases of what it deploys; queued versions and what locked
// environments run stay; sourceGitTag trains name what is gone; the one-off cleanup of every app.
import { describe, expect, it } from 'vitest';
import { Permissions } from '../../src/auth/permissions.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR, AUTHOR_HEADERS, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import { expectTipSnapshotEqualsFullRead } from '../support/snapshotEquality.js';

const start = harnessPerWorld();
const KEPT = { releasesKept: 5 };

const ENVS = ['dev', 'staging', 'qa', 'prod'];
const releases = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [index + 1, ENVS]));

/**
 * web has releases 1..12: dev (latest) runs 12, staging 9, prod 7; qa is locked, runs 12 and has 2
 * queued. api has 1..8, held in prod by an app lock.
 */
const WORLD = layoutFiles({
  apps: { web: { team: 'shop', releases: releases(12) }, api: { releases: releases(8) } },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { web: 12, api: 8 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { web: 9, api: 8 } },
    qa: {
      config: { upstream: { environment: 'dev' } },
      deployed: { web: 12 },
      queued: { web: 2 },
      locks: { freeze: { message: 'qa runs' } },
    },
    prod: {
      config: { upstream: { environment: 'staging' } },
      deployed: { web: 7, api: 1 },
      appLocks: { api: { hold: { message: 'hold' } } },
    },
  },
});

const releaseNumbers = (h: Harness, app: string, commit = 'main') =>
  h.fixture
    .git(['ls-tree', '--name-only', `${commit}:applications/${app}/releases`])
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);

const message = (h: Harness) => h.fixture.git(['log', '-1', '--format=%B', 'main']);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a commit that deploys removes the old releases of what it deploys', () => {
  it('a train: d is the oldest version deployed after it; the queued version and what the lock holds stay', async () => {
    const h = await start(WORLD, KEPT);
    const before = h.fixture.tip();
    const train = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod/releasetrain',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-train' },
    });
    expect(train.json().envsPrognoses.prod.appsPrognoses.prognoses).toEqual({
      api: expect.objectContaining({ skipCause: 'APP_IS_LOCKED' }),
      web: { deployedVersion: { version: 9 } },
    });
    const tip = expectOneCommit(h, before, 'req-train');
    // d = 9 (staging and prod); kept: 9..12 and the 4 below (5..8); 2 is queued in qa.
    expect(releaseNumbers(h, 'web')).toEqual([2, ...range(5, 12)]);
    // api was not deployed: its releases stay, although prod runs 1 and dev 8.
    expect(releaseNumbers(h, 'api')).toEqual(range(1, 8));
    expect(message(h)).toContain(
      [
        'deployed version 9 of "web" to "prod"',
        'Skipped services',
        'skipping application "api" in environment "prod" due to application lock',
        '',
        'removed version 1 of app web as cleanup',
        'removed version 3 of app web as cleanup',
        'removed version 4 of app web as cleanup',
        '',
        'Release-Train-Target: prod',
      ].join('\n'),
    );
    // Only whole release directories went, besides the deployment.
    const changed = h.fixture.git(['diff', '--name-only', before, tip]).split('\n').filter(Boolean);
    expect(
      changed
        .filter((path) => path.startsWith('applications/'))
        .every((path) => /^applications\/web\/releases\/[134]\//.test(path)),
    ).toBe(true);
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, { kept: true, context: 'after the train' });
  });

  it('a deployment by hand, and nothing more when the app is deployed already', async () => {
    const h = await start(WORLD, KEPT);
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod/applications/web/deployment',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-deploy' },
      payload: { version: 12, lockBehavior: 'fail' },
    });
    expect(response.statusCode).toBe(200);
    expectOneCommit(h, before, 'req-deploy');
    expect(message(h)).toBe(
      [
        'deployed version 12 of "web" to "prod"',
        '',
        'removed version 1 of app web as cleanup',
        'removed version 3 of app web as cleanup',
        'removed version 4 of app web as cleanup',
        '',
        'Request-Id: req-deploy',
        '',
        '',
      ].join('\n'),
    );
    // Deploying what runs already writes nothing, not even a cleanup.
    const tip = h.fixture.tip();
    const again = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod/applications/web/deployment',
      payload: { version: 12, lockBehavior: 'fail' },
    });
    expect(again.json().commitId).toBeNull();
    expect(h.fixture.tip()).toBe(tip);
  });

  it('a release deployed to the latest environments; a new release older than what is kept is 400 RELEASE_TOO_OLD', async () => {
    const h = await start(WORLD, KEPT);
    const release = (fields: Record<string, string>) => {
      const { payload, contentType } = fieldsBody(fields);
      return h.app.inject({
        method: 'POST',
        url: '/api/release',
        headers: { ...AUTHOR_HEADERS, 'content-type': contentType, 'x-request-id': 'req-release' },
        payload,
      });
    };
    const created = await release({ application: 'web', 'manifests[dev]': 'v13', 'manifests[prod]': 'v13' });
    expect(created.json()).toEqual({ application: 'web', version: 13 });
    // dev runs 13 now; d = 7 (prod): kept 3..13; 2 is queued.
    expect(releaseNumbers(h, 'web')).toEqual([2, ...range(3, 13)]);
    expect(message(h)).toBe(
      [
        'created version 13 of "web"',
        '',
        'deployed version 13 of "web" to "dev"',
        '',
        'removed version 1 of app web as cleanup',
        '',
        'Request-Id: req-release',
        '',
        '',
      ].join('\n'),
    );
    const before = h.fixture.tip();
    const old = expectError(
      await release({ application: 'web', version: '1', 'manifests[dev]': 'again' }),
      400,
      'RELEASE_TOO_OLD',
    );
    expect(old.message).toBe(
      "Release 1 of 'web' is older than the releases kept (3 and newer, RELEASES_KEPT=5): it would be removed at once.",
    );
    expect(old.details).toEqual({ oldestKept: 3, releasesKept: 5 });
    expect(h.fixture.tip()).toBe(before);
  });

  it('the undeploy version deployed to the latest environments cleans up too', async () => {
    const h = await start(WORLD, KEPT);
    const response = await h.app.inject({ method: 'POST', url: '/api/applications/web/undeploy' });
    expect(response.json()).toMatchObject({ version: 13, deployedTo: ['dev'] });
    expect(message(h)).toContain(
      'deployed version 13 of "web" to "dev"\n\nremoved version 1 of app web as cleanup\n\n',
    );
  });

  it('leaves an app alone when where it runs cannot be read; the train still goes', async () => {
    const h = await start(
      {
        ...WORLD,
        'environments/broken/applications/web/version': {
          symlink: '../../../../applications/web/releases/99',
        },
      },
      KEPT,
    );
    const train = await h.app.inject({ method: 'PUT', url: '/api/environments/prod/releasetrain' });
    expect(train.statusCode).toBe(200);
    expect(train.json().commitId).not.toBeNull();
    expect(releaseNumbers(h, 'web')).toEqual(range(1, 12));
    expect(message(h)).not.toContain('as cleanup');
    // The cleanup of every app is asked for explicitly: it names what it cannot read.
    const cleanup = expectError(
      await h.app.inject({ method: 'POST', url: '/api/releases/cleanup' }),
      500,
      'MANIFEST_REPO_CORRUPT',
    );
    expect(cleanup.message).toContain('environments/broken/applications/web/version');
  });
});

describe('sourceGitTag trains after a cleanup', () => {
  it('are a 409 RELEASE_REMOVED naming app and version, the prognosis too', async () => {
    const h = await start(
      layoutFiles({
        apps: { web: { releases: releases(20) } },
        environments: {
          dev: { config: { upstream: { latest: true } }, deployed: { web: 20 } },
          staging: { config: { upstream: { environment: 'dev' } }, deployed: { web: 9 } },
          prod: { config: { upstream: { environment: 'staging' } }, deployed: { web: 9 } },
          qa: { config: { upstream: { environment: 'dev' } }, deployed: { web: 9 } },
        },
      }),
      KEPT,
    );
    h.fixture.git(['tag', 'tested', 'main']);
    // staging, prod and qa move to 20: d = 20, so 9 goes with every release below 16.
    await h.app.inject({ method: 'PUT', url: '/api/environments/staging/releasetrain' });
    await h.app.inject({ method: 'PUT', url: '/api/environments/qa/releasetrain' });
    await h.app.inject({ method: 'PUT', url: '/api/environments/prod/releasetrain' });
    expect(releaseNumbers(h, 'web')).toEqual(range(16, 20));
    const before = h.fixture.tip();
    const expected = "The git tag 'tested' names release 9 of 'web', which the branch no longer has";
    const train = expectError(
      await h.app.inject({ method: 'PUT', url: '/api/environments/prod/releasetrain?sourceGitTag=tested' }),
      409,
      'RELEASE_REMOVED',
    );
    expect(train.message).toContain(expected);
    expect(train.details).toEqual({ releases: [{ app: 'web', version: 9 }] });
    const prognosis = expectError(
      await h.app.inject({ url: '/api/environments/prod/releasetrain/prognosis?sourceGitTag=tested' }),
      409,
      'RELEASE_REMOVED',
    );
    expect(prognosis.message).toBe(train.message);
    expect(h.fixture.tip()).toBe(before);
  });
});

describe('/api/releases/cleanup', () => {
  it('shows, then removes every app old releases in one commit; a second run finds nothing', async () => {
    const h = await start(WORLD, KEPT);
    const before = h.fixture.tip();
    const preview = await h.app.inject({ url: '/api/releases/cleanup' });
    // web: d = 7 (prod), kept 3..12, 2 queued; api: d = 1 (prod): nothing goes.
    expect(preview.json()).toEqual({ releasesKept: 5, removedReleases: 1, removed: { web: [1] } });
    expect(h.fixture.tip()).toBe(before);

    const response = await h.app.inject({
      method: 'POST',
      url: '/api/releases/cleanup',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-cleanup' },
      payload: { ciLink: 'https://ci.example.com/jobs/1' },
    });
    expect(response.statusCode).toBe(200);
    const tip = expectOneCommit(h, before, 'req-cleanup');
    expect(response.json()).toEqual({
      releasesKept: 5,
      removedReleases: 1,
      removed: { web: [1] },
      commitId: tip,
    });
    expect(message(h)).toBe(
      [
        'Cleaned up 1 old releases of 1 applications (RELEASES_KEPT=5)',
        '',
        'removed version 1 of app web as cleanup',
        '',
        'Ci-Link: https://ci.example.com/jobs/1',
        'Request-Id: req-cleanup',
        '',
        '',
      ].join('\n'),
    );
    expect(releaseNumbers(h, 'web')).toEqual(range(2, 12));
    const history = await h.app.inject({ url: '/api/history?application=web&limit=1' });
    expect(history.json().entries[0]).toMatchObject({ kind: 'cleanup', commitId: tip });
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, {
      kept: true,
      context: 'after the cleanup',
    });

    const again = await h.app.inject({ method: 'POST', url: '/api/releases/cleanup' });
    expect(again.json()).toEqual({ releasesKept: 5, removedReleases: 0, removed: {}, commitId: null });
    expect(h.fixture.tip()).toBe(tip);
  });

  it('needs DeployRelease on every environment, for each app it removes releases of', async () => {
    const policy = (rules: string[]) =>
      new Permissions(parsePolicy([...rules, `g, ${AUTHOR.email}, role:ops`].join('\n'), 'policy.csv'));
    const refused = await start(WORLD, {
      ...KEPT,
      permissions: policy([
        'p, role:ops, DeployRelease, *:dev, *, allow',
        'p, role:ops, DeployRelease, *:*, api, allow',
      ]),
    });
    const before = refused.fixture.tip();
    const answer = expectError(
      await refused.app.inject({ method: 'POST', url: '/api/releases/cleanup', headers: AUTHOR_HEADERS }),
      403,
      'FORBIDDEN',
    );
    expect(answer.message).toBe(
      `${AUTHOR.email} may not DeployRelease in environment 'prod' (group 'prod') for application 'web'.`,
    );
    expect(refused.fixture.tip()).toBe(before);
  });
});
