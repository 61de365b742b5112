// Deploying one app by hand (http-api.md "Deployments and reading", manifest-repo.md "Writing rules").
import { describe, expect, it } from 'vitest';
import { FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR, AUTHOR_HEADERS, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { LOCK_DEFAULTS, layoutFiles, manifestContent } from '../support/layout.js';

const start = harnessPerWorld();

const changedSince = (h: Harness, before: string) =>
  h.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n');

const link = (app: string, version: number) => `../../../../applications/${app}/releases/${version}`;

const ENVS = ['dev', 'staging', 'prod'];

// Release 3 of checkout has no manifest for prod; docs has no team.
const DEPLOY_WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ENVS, 2: ENVS, 3: ['dev', 'staging'] } },
    search: { team: 'discovery', releases: { 1: ENVS, 2: ENVS } },
    docs: { releases: { 1: ENVS, 2: ENVS } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 3, search: 2, docs: 2 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1, search: 1, docs: 1 } },
    prod: { config: { upstream: { environment: 'staging' } }, deployed: { checkout: 1 } },
  },
});

const url = (env: string, app: string) => `/api/environments/${env}/applications/${app}/deployment`;

function deploy(
  h: Harness,
  env: string,
  app: string,
  body: unknown,
  headers: Record<string, string> = { ...AUTHOR_HEADERS },
) {
  return h.app.inject({ method: 'PUT', url: url(env, app), headers, payload: body as object });
}

function expectDeployed(h: Harness, env: string, app: string, version: number, by = AUTHOR) {
  const path = `environments/${env}/applications/${app}`;
  expect(h.fixture.modeOf(`${path}/version`)).toBe('120000 blob');
  expect(h.fixture.show(`${path}/version`)).toBe(link(app, version));
  expect(h.fixture.show(`${path}/manifests/manifests.yaml`)).toBe(manifestContent(app, version, env));
  expect(h.fixture.show(`${path}/deployed_by`)).toBe(by.name);
  expect(h.fixture.show(`${path}/deployed_by_email`)).toBe(by.email);
  expect(h.fixture.show(`${path}/deployed_at_utc`)).toBe(FIXED_TIME.toISOString());
  expect(h.fixture.modeOf(`${path}/queued_version`)).toBeUndefined();
}

describe('PUT /api/environments/{env}/applications/{app}/deployment', () => {
  for (const lockBehavior of ['record', 'fail', 'ignore'] as const) {
    it(`deploys when nothing is locked (lockBehavior ${lockBehavior}): the deployment files, one commit`, async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      const response = await deploy(
        h,
        'staging',
        'checkout',
        { version: 2, lockBehavior },
        {
          ...AUTHOR_HEADERS,
          'x-request-id': 'req-deploy',
        },
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({
        environment: 'staging',
        application: 'checkout',
        version: 2,
        outcome: 'deployed',
        commitId: h.fixture.tip(),
      });
      expectOneCommit(h, before, 'req-deploy');
      expectDeployed(h, 'staging', 'checkout', 2);
      const path = 'environments/staging/applications/checkout';
      expect(changedSince(h, before)).toEqual([
        `${path}/deployed_at_utc`,
        `${path}/deployed_by`,
        `${path}/deployed_by_email`,
        `${path}/manifests/manifests.yaml`,
        `${path}/version`,
      ]);
    });
  }

  it('deploys an app that was never deployed in the environment, and a lower version than the deployed one', async () => {
    const h = await start(DEPLOY_WORLD);
    const first = await deploy(h, 'prod', 'docs', { version: 2, lockBehavior: 'fail' });
    expect(first.statusCode).toBe(200);
    expectDeployed(h, 'prod', 'docs', 2);
    const lower = await deploy(h, 'dev', 'checkout', { version: 1, lockBehavior: 'fail' });
    expect(lower.statusCode).toBe(200);
    expect(lower.json().outcome).toBe('deployed');
    expectDeployed(h, 'dev', 'checkout', 1);
  });

  it('removes a queued_version when it deploys', async () => {
    const h = await start({
      ...DEPLOY_WORLD,
      ...layoutFiles({ environments: { staging: { queued: { checkout: 3 } } } }),
    });
    const before = h.fixture.tip();
    const response = await deploy(h, 'staging', 'checkout', { version: 2, lockBehavior: 'record' });
    expect(response.json().outcome).toBe('deployed');
    expect(changedSince(h, before)).toContain('environments/staging/applications/checkout/queued_version');
    expectDeployed(h, 'staging', 'checkout', 2);
  });

  it('writes a single space as the manifest copy when the release manifest is empty', async () => {
    const h = await start({
      ...DEPLOY_WORLD,
      'applications/search/releases/3/created_at': '2026-11-01T00:00:00Z',
      'applications/search/releases/3/environments/staging/manifests.yaml': '',
    });
    const response = await deploy(h, 'staging', 'search', { version: 3, lockBehavior: 'fail' });
    expect(response.statusCode).toBe(200);
    expect(h.fixture.show('environments/staging/applications/search/manifests/manifests.yaml')).toBe(' ');
    expect(h.fixture.show('environments/staging/applications/search/version')).toBe(link('search', 3));
  });

  it('answers commitId null and makes no commit for the version that is already deployed', async () => {
    const h = await start(DEPLOY_WORLD);
    const before = h.fixture.tip();
    for (const lockBehavior of ['record', 'fail', 'ignore'] as const) {
      const response = await deploy(h, 'staging', 'checkout', { version: 1, lockBehavior });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        environment: 'staging',
        application: 'checkout',
        version: 1,
        outcome: 'deployed',
        commitId: null,
      });
    }
    expect(h.fixture.tip()).toBe(before);
    // The deployment record is the old one.
    expect(h.fixture.show('environments/staging/applications/checkout/deployed_by')).toBe('Fixture Author');
  });

  describe('when a lock is in the way', () => {
    const ENV_LOCK = { message: 'code freeze', suggestedLifetime: '7d' };
    const APP_LOCK = { message: 'investigating', ciLink: 'https://ci.example.com/9' };
    const TEAM_LOCK = { message: 'audit week', createdByName: 'Bo', createdByEmail: 'bo@example.com' };
    const view = (lockId: string, lock: Record<string, string>) => ({
      lockId,
      message: lock.message,
      createdAt: LOCK_DEFAULTS.createdAt,
      createdBy: {
        name: lock.createdByName ?? LOCK_DEFAULTS.createdByName,
        email: lock.createdByEmail ?? LOCK_DEFAULTS.createdByEmail,
      },
      ...(lock.ciLink ? { ciLink: lock.ciLink } : {}),
      ...(lock.suggestedLifetime ? { suggestedLifetime: lock.suggestedLifetime } : {}),
    });

    const cases = [
      {
        kind: 'environment',
        files: layoutFiles({ environments: { staging: { locks: { xmas: ENV_LOCK } } } }),
        details: { environmentLocks: [view('xmas', ENV_LOCK)], appLocks: [], teamLocks: [] },
      },
      {
        kind: 'application',
        files: layoutFiles({ environments: { staging: { appLocks: { checkout: { hotfix: APP_LOCK } } } } }),
        details: { environmentLocks: [], appLocks: [view('hotfix', APP_LOCK)], teamLocks: [] },
      },
      {
        kind: 'team',
        files: layoutFiles({ environments: { staging: { teamLocks: { shop: { audit: TEAM_LOCK } } } } }),
        details: { environmentLocks: [], appLocks: [], teamLocks: [view('audit', TEAM_LOCK)] },
      },
      {
        kind: 'every',
        files: layoutFiles({
          environments: {
            staging: {
              locks: { xmas: ENV_LOCK },
              appLocks: { checkout: { hotfix: APP_LOCK } },
              teamLocks: { shop: { audit: TEAM_LOCK } },
            },
          },
        }),
        details: {
          environmentLocks: [view('xmas', ENV_LOCK)],
          appLocks: [view('hotfix', APP_LOCK)],
          teamLocks: [view('audit', TEAM_LOCK)],
        },
      },
    ];

    for (const { kind, files, details } of cases) {
      describe(`(${kind} lock)`, () => {
        it('record writes queued_version only and answers outcome "queued"', async () => {
          const h = await start({ ...DEPLOY_WORLD, ...files });
          const before = h.fixture.tip();
          const response = await deploy(
            h,
            'staging',
            'checkout',
            { version: 2, lockBehavior: 'record' },
            {
              ...AUTHOR_HEADERS,
              'x-request-id': 'req-queue',
            },
          );
          expect(response.statusCode, response.body).toBe(200);
          expect(response.json()).toEqual({
            environment: 'staging',
            application: 'checkout',
            version: 2,
            outcome: 'queued',
            commitId: h.fixture.tip(),
          });
          expectOneCommit(h, before, 'req-queue');
          const path = 'environments/staging/applications/checkout';
          expect(changedSince(h, before)).toEqual([`${path}/queued_version`]);
          expect(h.fixture.modeOf(`${path}/queued_version`)).toBe('120000 blob');
          expect(h.fixture.show(`${path}/queued_version`)).toBe(link('checkout', 2));
          expect(h.fixture.show(`${path}/version`)).toBe(link('checkout', 1));

          // The same queue again changes nothing.
          const again = await deploy(h, 'staging', 'checkout', { version: 2, lockBehavior: 'record' });
          expect(again.statusCode).toBe(200);
          expect(again.json()).toMatchObject({ outcome: 'queued', commitId: null });
          expect(h.fixture.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');

          // Another version replaces the queued one.
          const other = await deploy(h, 'staging', 'checkout', { version: 3, lockBehavior: 'record' });
          expect(other.json()).toMatchObject({ outcome: 'queued', commitId: h.fixture.tip() });
          expect(h.fixture.show(`${path}/queued_version`)).toBe(link('checkout', 3));
        });

        it('fail answers 409 LOCKED with the locks and writes nothing', async () => {
          const h = await start({ ...DEPLOY_WORLD, ...files });
          const before = h.fixture.tip();
          const response = await deploy(h, 'staging', 'checkout', { version: 2, lockBehavior: 'fail' });
          const body = expectError(response, 409, 'LOCKED');
          expect(body.details).toEqual(details);
          expect(body.message).toContain('checkout');
          expect(h.fixture.tip()).toBe(before);
        });

        it('ignore deploys anyway and removes a queued_version', async () => {
          const h = await start({
            ...DEPLOY_WORLD,
            ...files,
            ...layoutFiles({ environments: { staging: { queued: { checkout: 3 } } } }),
          });
          const before = h.fixture.tip();
          const response = await deploy(
            h,
            'staging',
            'checkout',
            { version: 2, lockBehavior: 'ignore' },
            {
              ...AUTHOR_HEADERS,
              'x-request-id': 'req-ignore',
            },
          );
          expect(response.statusCode).toBe(200);
          expect(response.json()).toMatchObject({ outcome: 'deployed', commitId: h.fixture.tip() });
          expectOneCommit(h, before, 'req-ignore');
          expectDeployed(h, 'staging', 'checkout', 2);
          // The locks stay.
          expect(changedSince(h, before).some((path) => path.includes('/locks/'))).toBe(false);
        });
      });
    }

    it('is not in the way for other apps and teams', async () => {
      const h = await start({
        ...DEPLOY_WORLD,
        ...layoutFiles({
          environments: {
            staging: {
              appLocks: { checkout: { hotfix: APP_LOCK } },
              teamLocks: { shop: { audit: TEAM_LOCK } },
            },
            prod: { locks: { xmas: ENV_LOCK } },
          },
        }),
      });
      // search is of another team; docs has no team at all.
      for (const app of ['search', 'docs']) {
        const response = await deploy(h, 'staging', app, { version: 2, lockBehavior: 'fail' });
        expect(response.statusCode, app).toBe(200);
        expect(response.json().outcome).toBe('deployed');
        expectDeployed(h, 'staging', app, 2);
      }
      // An environment lock elsewhere does not count.
      const dev = await deploy(h, 'dev', 'checkout', { version: 2, lockBehavior: 'fail' });
      expect(dev.json().outcome).toBe('deployed');
    });
  });

  describe('errors', () => {
    it('answers 404 ENVIRONMENT_NOT_FOUND for an unknown environment', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      const response = await deploy(h, 'nowhere', 'checkout', { version: 1, lockBehavior: 'record' });
      expect(expectError(response, 404, 'ENVIRONMENT_NOT_FOUND').message).toContain('nowhere');
      expect(h.fixture.tip()).toBe(before);
    });

    it('answers 404 RELEASE_NOT_FOUND for an unknown release or application', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      for (const [app, version] of [
        ['checkout', 4],
        ['checkout', Number.MAX_SAFE_INTEGER],
        ['ghost', 1],
      ] as const) {
        const response = await deploy(h, 'staging', app, { version, lockBehavior: 'ignore' });
        expect(expectError(response, 404, 'RELEASE_NOT_FOUND').message).toContain(app);
      }
      expect(h.fixture.tip()).toBe(before);
    });

    it('answers 400 RELEASE_NOT_IN_ENVIRONMENT for a release without a manifest for the environment', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      const response = await deploy(h, 'prod', 'checkout', { version: 3, lockBehavior: 'ignore' });
      expect(expectError(response, 400, 'RELEASE_NOT_IN_ENVIRONMENT').message).toContain('prod');
      expect(h.fixture.tip()).toBe(before);
    });

    it('refuses invalid bodies with 400 and writes nothing', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      for (const body of [
        { version: 0, lockBehavior: 'record' },
        { version: -1, lockBehavior: 'record' },
        { version: 1.5, lockBehavior: 'record' },
        { version: '2', lockBehavior: 'record' },
        { version: Number.MAX_SAFE_INTEGER + 1, lockBehavior: 'record' },
        { version: 2, lockBehavior: 'maybe' },
        { version: 2, lockBehavior: 'RECORD' },
        { version: 2 },
        { lockBehavior: 'record' },
        {},
        [],
      ]) {
        const response = await deploy(h, 'staging', 'checkout', body);
        expectError(response, 400, 'INVALID_INPUT');
      }
      const empty = await h.app.inject({
        method: 'PUT',
        url: url('staging', 'checkout'),
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expectError(empty, 400, 'INVALID_INPUT');
      const notJson = await h.app.inject({
        method: 'PUT',
        url: url('staging', 'checkout'),
        headers: { 'content-type': 'application/json' },
        payload: '{"version": 2,',
      });
      expectError(notJson, 400, 'INVALID_JSON');
      expect(h.fixture.tip()).toBe(before);
    });

    it('refuses invalid names with 400', async () => {
      const h = await start(DEPLOY_WORLD);
      for (const [env, app] of [
        ['Staging', 'checkout'],
        ['staging', 'Checkout'],
        ['staging', 'a'.repeat(71)],
        ['..%2Fstaging', 'checkout'],
      ]) {
        const response = await deploy(h, env as string, app as string, {
          version: 1,
          lockBehavior: 'record',
        });
        expect(expectError(response, 400, 'INVALID_INPUT').message).toMatch(/name must/);
      }
    });

    it('refuses a body that is not JSON with 415', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      for (const [contentType, payload] of [
        ['text/plain', '{"version": 2, "lockBehavior": "ignore"}'],
        ['application/x-www-form-urlencoded', 'version=2&lockBehavior=ignore'],
      ]) {
        const response = await h.app.inject({
          method: 'PUT',
          url: url('staging', 'checkout'),
          headers: { 'content-type': contentType as string },
          payload: payload as string,
        });
        expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      expect(h.fixture.tip()).toBe(before);
    });

    it('refuses a multipart body with 415', async () => {
      const h = await start(DEPLOY_WORLD);
      const before = h.fixture.tip();
      const response = await h.app.inject({
        method: 'PUT',
        url: url('staging', 'checkout'),
        headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        payload:
          '--xyz\r\nContent-Disposition: form-data; name="version"\r\n\r\n2\r\n' +
          '--xyz\r\nContent-Disposition: form-data; name="lockBehavior"\r\n\r\nignore\r\n--xyz--\r\n',
      });
      expect(h.fixture.tip()).toBe(before);
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers 500 MANIFEST_REPO_CORRUPT naming the file for a corrupt version symlink, and writes nothing', async () => {
      const h = await start({
        ...DEPLOY_WORLD,
        'environments/staging/applications/checkout/version': { symlink: '/etc/passwd' },
      });
      const before = h.fixture.tip();
      const response = await deploy(h, 'staging', 'checkout', { version: 1, lockBehavior: 'record' });
      const body = expectError(response, 500, 'MANIFEST_REPO_CORRUPT');
      expect(body.message).toContain('environments/staging/applications/checkout/version');
      expect(body.message).not.toContain(h.fixture.path);
      expect(h.fixture.tip()).toBe(before);
    });
  });
});
