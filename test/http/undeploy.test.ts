// Switching an application off (lifecycle.md): the undeploy version, trains carrying it, removing
// the app for good once it runs everywhere, and removing an app from one environment. Real git,
// through the HTTP API.
import { describe, expect, it } from 'vitest';
import { Permissions } from '../../src/auth/permissions.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR, AUTHOR_HEADERS, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import { expectTipSnapshotEqualsFullRead } from '../support/snapshotEquality.js';

const start = harnessPerWorld();

const ENVS = ['dev', 'staging', 'prod-de', 'prod-fr'];

/** dev (latest) -> staging -> prod (group of two, prod-fr locked); checkout is switched off. */
const WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ENVS, 2: ENVS } },
    search: { team: 'discovery', releases: { 1: ENVS } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2, search: 1 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 2, search: 1 } },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1, search: 1 },
      appLocks: { checkout: { hold: { message: 'hold' } } },
    },
    'prod-fr': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
  },
});

const files = (h: Harness, under: string, commit = 'main') =>
  h.fixture.git(['ls-tree', '-r', '--name-only', commit, '--', under]).split('\n').filter(Boolean);

const message = (h: Harness) => h.fixture.git(['log', '-1', '--format=%B', 'main']);

async function undeploy(h: Harness, app: string, requestId = 'req-undeploy') {
  return h.app.inject({
    method: 'POST',
    url: `/api/applications/${app}/undeploy`,
    headers: { ...AUTHOR_HEADERS, 'x-request-id': requestId },
  });
}

describe('POST /api/applications/{app}/undeploy', () => {
  it('creates release latest + 1 with the marker and a single space for every environment, deployed to the latest environments', async () => {
    const h = await start(WORLD);
    const before = h.fixture.tip();
    const response = await undeploy(h, 'checkout');
    expect(response.statusCode).toBe(201);
    const tip = expectOneCommit(h, before, 'req-undeploy', AUTHOR);
    expect(response.json()).toEqual({
      application: 'checkout',
      version: 3,
      commitId: tip,
      deployedTo: ['dev'],
      queuedIn: [],
    });
    expect(h.fixture.modeOf('applications/checkout/releases/3/undeploy')).toBe('100644 blob');
    expect(h.fixture.show('applications/checkout/releases/3/undeploy')).toBe('');
    for (const environment of ENVS) {
      expect(
        h.fixture.show(`applications/checkout/releases/3/environments/${environment}/manifests.yaml`),
      ).toBe(' ');
    }
    expect(h.fixture.show('environments/dev/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
    expect(h.fixture.show('environments/dev/applications/checkout/manifests/manifests.yaml')).toBe(' ');
    expect(message(h)).toBe(
      'created undeploy version 3 of "checkout"\n\ndeployed version 3 of "checkout" to "dev"\n\nRequest-Id: req-undeploy\n\n',
    );
    // Kuberpult's lookup says so, the history and the overview too.
    const lookup = await h.app.inject({ url: '/api/application/checkout/release/latest/manifests' });
    expect(lookup.json().release).toMatchObject({ version: 3, undeploy_version: true });
    const history = await h.app.inject({ url: '/api/history?limit=1' });
    expect(history.json().entries[0]).toMatchObject({
      kind: 'release',
      summary: 'created undeploy version 3 of "checkout"',
      undeployVersion: true,
    });
    const overview = (await h.app.inject({ url: '/api/overview' })).json();
    const dev = overview.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'dev',
    ).environments[0].applications;
    expect(dev.checkout).toMatchObject({ version: 3, undeployVersion: true });
    expect(dev.search).not.toHaveProperty('undeployVersion');
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, { kept: true, context: 'after undeploy' });
  });

  it('is queued where a lock holds back the latest environment', async () => {
    const h = await start({
      ...WORLD,
      ...layoutFiles({ environments: { dev: { locks: { freeze: { message: 'freeze' } } } } }),
    });
    const response = await undeploy(h, 'checkout');
    expect(response.json()).toMatchObject({ version: 3, deployedTo: [], queuedIn: ['dev'] });
    expect(h.fixture.show('environments/dev/applications/checkout/queued_version')).toBe(
      '../../../../applications/checkout/releases/3',
    );
    expect(h.fixture.show('environments/dev/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/2',
    );
  });

  it('is a 409 ALREADY_UNDEPLOYED when the latest release is an undeploy version, 404 for an unknown app, 400 for a bad name', async () => {
    const h = await start(WORLD);
    expect((await undeploy(h, 'checkout')).statusCode).toBe(201);
    const before = h.fixture.tip();
    const again = expectError(await undeploy(h, 'checkout'), 409, 'ALREADY_UNDEPLOYED');
    expect(again.message).toBe("The latest release of 'checkout', 3, is its undeploy version already.");
    expectError(await undeploy(h, 'nowhere'), 404, 'APPLICATION_NOT_FOUND');
    expectError(await undeploy(h, 'Checkout'), 400, 'INVALID_INPUT');
    expect(h.fixture.tip()).toBe(before);
    // A new release after it switches the app on again; then it can be undeployed again.
    const { payload, contentType } = fieldsBody({
      application: 'checkout',
      'manifests[dev]': 'kind: Deployment\n',
    });
    const release = await h.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(release.statusCode).toBe(201);
    expect((await undeploy(h, 'checkout')).json()).toMatchObject({ version: 5 });
  });

  it('is carried by trains like any version, and the prognosis says it is an undeploy version', async () => {
    const h = await start(WORLD);
    await undeploy(h, 'checkout');
    const prognosis = await h.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    expect(prognosis.json().envsPrognoses.staging.appsPrognoses.prognoses).toEqual({
      checkout: { deployedVersion: { version: 3, undeployVersion: true } },
      search: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
    });
    const train = await h.app.inject({ method: 'PUT', url: '/api/environments/staging/releasetrain' });
    expect(train.json().envsPrognoses.staging.appsPrognoses.prognoses.checkout).toEqual({
      deployedVersion: { version: 3, undeployVersion: true },
    });
    expect(h.fixture.show('environments/staging/applications/checkout/manifests/manifests.yaml')).toBe(' ');
    // Default answers are Kuberpult's shape: no undeployVersion where it is not one.
    const prod = await h.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    expect(prod.json().envsPrognoses['prod-fr'].appsPrognoses.prognoses).toEqual({
      checkout: { deployedVersion: { version: 3, undeployVersion: true } },
      search: { deployedVersion: { version: 1 } },
    });
  });
});

describe('DELETE /api/applications/{app}', () => {
  it('is refused with 409 APP_STILL_DEPLOYED naming where another version runs, until the undeploy version is everywhere', async () => {
    const h = await start(WORLD);
    const before = h.fixture.tip();
    const early = expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/applications/checkout' }),
      409,
      'APP_STILL_DEPLOYED',
    );
    expect(early.details).toEqual({ environments: ENVS.slice().sort(), undeployVersion: null });
    expect(early.message).toContain('is no undeploy version');
    expect(h.fixture.tip()).toBe(before);

    await undeploy(h, 'checkout');
    await h.app.inject({ method: 'PUT', url: '/api/environments/staging/releasetrain' });
    const midway = expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/applications/checkout' }),
      409,
      'APP_STILL_DEPLOYED',
    );
    expect(midway.details).toEqual({ environments: ['prod-de', 'prod-fr'], undeployVersion: 3 });
    expect(midway.message).toBe(
      "'checkout' still runs another version than its undeploy version 3 in 'prod-de', 'prod-fr': deploy the undeploy version there first.",
    );
    // The app lock in prod-de holds the train back there.
    await h.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain' });
    const locked = expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/applications/checkout' }),
      409,
      'APP_STILL_DEPLOYED',
    );
    expect(locked.details).toEqual({ environments: ['prod-de'], undeployVersion: 3 });
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/applications/checkout/deployment',
      payload: { version: 3, lockBehavior: 'ignore' },
    });

    const last = h.fixture.tip();
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: '/api/applications/checkout',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-delete-app' },
    });
    expect(deleted.statusCode).toBe(200);
    const tip = expectOneCommit(h, last, 'req-delete-app');
    expect(deleted.json()).toEqual({
      application: 'checkout',
      environments: ENVS.slice().sort(),
      commitId: tip,
    });
    expect(files(h, 'applications/checkout')).toEqual([]);
    for (const environment of ENVS)
      expect(files(h, `environments/${environment}/applications/checkout`)).toEqual([]);
    // Locks included; the other app is untouched.
    expect(files(h, 'environments/prod-de/applications/search')).not.toEqual([]);
    expect(message(h)).toBe('Deleted application "checkout"\n\nRequest-Id: req-delete-app\n\n');
    const history = await h.app.inject({ url: '/api/history?limit=1' });
    expect(history.json().entries[0]).toMatchObject({
      kind: 'application',
      summary: 'Deleted application "checkout"',
    });
    const overview = (await h.app.inject({ url: '/api/overview' })).json();
    expect(Object.keys(overview.applications)).toEqual(['search']);
    expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/applications/checkout' }),
      404,
      'APPLICATION_NOT_FOUND',
    );
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, { context: 'after deleting the app' });
  });

  it('takes an app that is deployed nowhere once its latest release is the undeploy version', async () => {
    const h = await start({
      ...layoutFiles({
        apps: { orphan: { releases: { 1: ['dev'] } } },
        environments: { dev: { config: { upstream: { environment: 'nowhere' } } } },
      }),
      'environments/dev/applications/orphan/locks/hold/message': 'held',
    });
    expect((await undeploy(h, 'orphan')).json()).toMatchObject({ version: 2, deployedTo: [] });
    const deleted = await h.app.inject({ method: 'DELETE', url: '/api/applications/orphan' });
    expect(deleted.json()).toMatchObject({ application: 'orphan', environments: ['dev'] });
    expect(files(h, 'environments/dev/applications')).toEqual([]);
  });

  it('names a deployment it cannot read instead of guessing', async () => {
    const corrupt = await start({
      ...layoutFiles({ apps: { web: { releases: { 1: ['dev'] } } }, environments: { dev: {} } }),
      'applications/web/releases/2/undeploy': '',
      'environments/dev/applications/web/version': { symlink: '../../../../applications/web/releases/9' },
    });
    const refused = expectError(
      await corrupt.app.inject({ method: 'DELETE', url: '/api/applications/web' }),
      500,
      'MANIFEST_REPO_CORRUPT',
    );
    expect(refused.message).toContain('environments/dev/applications/web/version');
  });
});

describe('DELETE /api/environments/{env}/applications/{app}', () => {
  it('removes the app from one environment, locks included; again it is a 200 without a commit', async () => {
    const h = await start(WORLD);
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/prod-de/applications/checkout',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-remove' },
    });
    expect(response.statusCode).toBe(200);
    const tip = expectOneCommit(h, before, 'req-remove');
    expect(response.json()).toEqual({ environment: 'prod-de', application: 'checkout', commitId: tip });
    expect(files(h, 'environments/prod-de/applications/checkout')).toEqual([]);
    expect(h.fixture.git(['diff', '--name-only', before, tip]).split('\n').filter(Boolean)).toEqual(
      files(h, 'environments/prod-de/applications/checkout', before),
    );
    expect(message(h)).toBe(
      'Deleted application "checkout" from environment "prod-de"\n\nRequest-Id: req-remove\n\n',
    );
    const again = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/prod-de/applications/checkout',
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ environment: 'prod-de', application: 'checkout', commitId: null });
    expect(h.fixture.tip()).toBe(tip);
    expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/environments/nowhere/applications/checkout' }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
    expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/environments/prod-de/applications/Checkout' }),
      400,
      'INVALID_INPUT',
    );
    await expectTipSnapshotEqualsFullRead(h.repo, h.fixture.path, { context: 'after removing from prod-de' });
  });
});

describe('permissions (Kuberpult action names)', () => {
  const policy = (rules: string[]) =>
    new Permissions(parsePolicy([...rules, `g, ${AUTHOR.email}, role:ops`].join('\n'), 'policy.csv'));

  it('the undeploy version needs CreateUndeploy on every environment, for the app', async () => {
    const h = await start(WORLD, {
      permissions: policy([
        'p, role:ops, CreateUndeploy, *:*, checkout, allow',
        'p, role:ops, CreateUndeploy, dev:dev, search, allow',
      ]),
    });
    const refused = expectError(await undeploy(h, 'search'), 403, 'FORBIDDEN');
    expect(refused.message).toBe(
      `${AUTHOR.email} may not CreateUndeploy in environment 'prod-de' (group 'prod') for application 'search'.`,
    );
    expect((await undeploy(h, 'checkout')).statusCode).toBe(201);
  });

  it('removing an app needs DeployUndeploy on every environment; from one environment, DeleteEnvironmentApplication there', async () => {
    const h = await start(
      {
        ...layoutFiles({
          apps: { gone: { releases: { 1: ['dev'] } } },
          environments: { dev: { config: { upstream: { latest: true } } }, prod: { config: {} } },
        }),
        'applications/gone/releases/2/undeploy': '',
        'applications/gone/releases/2/environments/dev/manifests.yaml': ' ',
      },
      {
        permissions: policy([
          'p, role:ops, DeployUndeploy, dev:dev, gone, allow',
          'p, role:ops, DeleteEnvironmentApplication, prod:prod, *, allow',
        ]),
      },
    );
    const refused = expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/applications/gone', headers: AUTHOR_HEADERS }),
      403,
      'FORBIDDEN',
    );
    expect(refused.message).toContain("may not DeployUndeploy in environment 'prod'");
    expectError(
      await h.app.inject({
        method: 'DELETE',
        url: '/api/environments/dev/applications/gone',
        headers: AUTHOR_HEADERS,
      }),
      403,
      'FORBIDDEN',
    );
    const allowed = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/prod/applications/gone',
      headers: AUTHOR_HEADERS,
    });
    expect(allowed.statusCode).toBe(200);
  });
});

describe('an undeploy marker that breaks the rules', () => {
  const base = layoutFiles({
    apps: { web: { releases: { 1: ['dev', 'staging'], 2: ['dev', 'staging'] } } },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { web: 2 } },
      staging: { config: { upstream: { environment: 'dev' } }, deployed: { web: 1 } },
    },
  });
  const cases = [
    [
      'a symlink',
      { 'applications/web/releases/2/undeploy': { symlink: 'elsewhere' } },
      'must be a file, not a symlink',
    ],
    ['a directory', { 'applications/web/releases/2/undeploy/inner': '' }, 'must be a file, not a directory'],
    [
      'larger than a release file may be',
      { 'applications/web/releases/2/undeploy': 'x'.repeat(1024 * 1024 + 1) },
      'is 1048577 bytes, more than the 1048576 bytes this file may have',
    ],
  ] as const;

  it.each(cases)(
    '%s: what needs the release fails naming it, the overview lists it',
    async (_name, marker, reason) => {
      const h = await start({ ...base, ...marker });
      const file = 'applications/web/releases/2/undeploy';
      const prognosis = expectError(
        await h.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' }),
        500,
        'MANIFEST_REPO_CORRUPT',
      );
      expect(prognosis.message).toBe(`The manifest repo is corrupt: ${file}: ${reason}`);
      expectError(
        await h.app.inject({ url: '/api/application/web/release/2/manifests' }),
        500,
        'MANIFEST_REPO_CORRUPT',
      );
      const overview = await h.app.inject({ url: '/api/overview' });
      expect(overview.statusCode).toBe(200);
      expect(overview.json().problems).toEqual([{ file, reason }]);
      // Release 1 is fine: what needs only it still works.
      const lookup = await h.app.inject({ url: '/api/application/web/release/1/manifests' });
      expect(lookup.json().release).toMatchObject({ version: 1, undeploy_version: false });
    },
  );
});
