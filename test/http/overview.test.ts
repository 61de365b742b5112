// GET /api/overview (http-api.md "Deployments and reading"): every environment by group, every app.
import { describe, expect, it } from 'vitest';
import { base64, FIXED_TIME, harnessPerWorld } from '../support/appHarness.js';
import type { FixtureFiles } from '../support/gitFixture.js';
import { LOCK_DEFAULTS, layoutFiles } from '../support/layout.js';

const start = harnessPerWorld();

const ALL = ['dev', 'staging', 'prod-de', 'prod-fr'];

const STAGING_CONFIG = {
  upstream: { environment: 'dev' },
  argocd: { destination: { server: 'https://kubernetes.default.svc' } },
};
const PROD_FR_CONFIG = {
  environmentGroup: 'prod',
  argoConfigs: { commonEnvPrefix: 'aa', configs: [{ concreteEnvName: 'fr-1' }] },
  isActiveActive: true,
};

const OVERVIEW_WORLD: FixtureFiles = {
  ...layoutFiles({
    apps: {
      // Release numbers sort as numbers: 2 before 10.
      checkout: { team: 'shop', releases: { 10: ALL, 2: ALL, 1: ALL } },
      search: { team: 'discovery', releases: { 1: ALL } },
      docs: { releases: { 1: ALL, 3: ALL } },
    },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { checkout: 10, search: 1, docs: 3 } },
      staging: {
        config: STAGING_CONFIG,
        deployed: { checkout: 2, docs: 1 },
        queued: { checkout: 10 },
        locks: {
          freeze: { message: 'code freeze', ciLink: 'https://ci.example.com/3', suggestedLifetime: '2d' },
        },
        appLocks: { docs: { hotfix: { message: 'rewriting' } } },
        teamLocks: {
          shop: { audit: { message: 'audit week', createdByName: 'Bo', createdByEmail: 'bo@example.com' } },
        },
      },
      'prod-de': {
        config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
        deployed: { checkout: 1 },
      },
      'prod-fr': { config: PROD_FR_CONFIG },
      // No config.json: an environment with an empty config; an app that only has a lock counts.
      sandbox: { appLocks: { legacy: { frozen: { message: 'retired' } } } },
    },
  }),
  // An app without releases; a release directory that is not a number is ignored.
  'applications/legacy/team': 'shop',
  'applications/docs/releases/latest/created_at': '2026-11-01T00:00:00Z',
};

const fixtureLock = (lockId: string, fields: Record<string, string> = {}) => ({
  lockId,
  message: fields.message ?? LOCK_DEFAULTS.message,
  createdAt: LOCK_DEFAULTS.createdAt,
  createdBy: {
    name: fields.createdByName ?? LOCK_DEFAULTS.createdByName,
    email: fields.createdByEmail ?? LOCK_DEFAULTS.createdByEmail,
  },
  ...(fields.ciLink ? { ciLink: fields.ciLink } : {}),
  ...(fields.suggestedLifetime ? { suggestedLifetime: fields.suggestedLifetime } : {}),
  inForce: true,
});

const deployedApp = (name: string, version: number, more: Record<string, unknown> = {}) => ({
  name,
  version,
  deployedBy: 'Fixture Author',
  deployedByEmail: 'fixture@example.com',
  deployedAt: '2026-11-01T00:00:00.000Z',
  locks: {},
  ...more,
});

const EXPECTED_ENVIRONMENTS = {
  dev: {
    name: 'dev',
    config: { upstream: { latest: true } },
    locks: {},
    teamLocks: {},
    applications: {
      checkout: deployedApp('checkout', 10),
      docs: deployedApp('docs', 3),
      search: deployedApp('search', 1),
    },
  },
  'prod-de': {
    name: 'prod-de',
    config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
    locks: {},
    teamLocks: {},
    applications: { checkout: deployedApp('checkout', 1) },
  },
  'prod-fr': { name: 'prod-fr', config: PROD_FR_CONFIG, locks: {}, teamLocks: {}, applications: {} },
  sandbox: {
    name: 'sandbox',
    config: {},
    locks: {},
    teamLocks: {},
    applications: {
      legacy: { name: 'legacy', locks: { frozen: fixtureLock('frozen', { message: 'retired' }) } },
    },
  },
  staging: {
    name: 'staging',
    config: STAGING_CONFIG,
    locks: {
      freeze: fixtureLock('freeze', {
        message: 'code freeze',
        ciLink: 'https://ci.example.com/3',
        suggestedLifetime: '2d',
      }),
    },
    teamLocks: {
      shop: {
        audit: fixtureLock('audit', {
          message: 'audit week',
          createdByName: 'Bo',
          createdByEmail: 'bo@example.com',
        }),
      },
    },
    applications: {
      checkout: deployedApp('checkout', 2, { queuedVersion: 10 }),
      docs: deployedApp('docs', 1, { locks: { hotfix: fixtureLock('hotfix', { message: 'rewriting' }) } }),
    },
  },
};

const EXPECTED_APPLICATIONS = {
  checkout: { name: 'checkout', team: 'shop', releases: [1, 2, 10] },
  docs: { name: 'docs', team: '', releases: [1, 3] },
  legacy: { name: 'legacy', team: 'shop', releases: [] },
  search: { name: 'search', team: 'discovery', releases: [1] },
};

describe('GET /api/overview', () => {
  it('shows every environment by group with config, locks, team locks and apps, and every application', async () => {
    const h = await start(OVERVIEW_WORLD);
    const response = await h.app.inject({ url: '/api/overview' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(body).toEqual({
      environmentGroups: [
        { environmentGroupName: 'dev', environments: [EXPECTED_ENVIRONMENTS.dev] },
        {
          environmentGroupName: 'prod',
          environments: [EXPECTED_ENVIRONMENTS['prod-de'], EXPECTED_ENVIRONMENTS['prod-fr']],
        },
        { environmentGroupName: 'sandbox', environments: [EXPECTED_ENVIRONMENTS.sandbox] },
        { environmentGroupName: 'staging', environments: [EXPECTED_ENVIRONMENTS.staging] },
      ],
      applications: EXPECTED_APPLICATIONS,
      problems: [],
    });
    // Maps in name order.
    expect(Object.keys(body.applications)).toEqual(['checkout', 'docs', 'legacy', 'search']);
    expect(Object.keys(body.environmentGroups[0].environments[0].applications)).toEqual([
      'checkout',
      'docs',
      'search',
    ]);
  });

  it('writes nothing', async () => {
    const h = await start(OVERVIEW_WORLD);
    const before = h.fixture.tip();
    await h.app.inject({ url: '/api/overview' });
    expect(h.fixture.tip()).toBe(before);
  });

  it('is empty for an empty repository', async () => {
    const h = await start({});
    const response = await h.app.inject({ url: '/api/overview' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ environmentGroups: [], applications: {}, problems: [] });
  });

  it('shows the writes made through the API and commits made with plain git at once', async () => {
    const h = await start(OVERVIEW_WORLD);
    // First the plain git commit: the fixture commits from its work tree, which the service does
    // not keep in step, so it has to come before the service's own commits.
    h.fixture.commit({ 'environments/prod-fr/locks/outside/message': 'made with git' });
    const outside = (await h.app.inject({ url: '/api/overview' })).json();
    expect(outside.environmentGroups[1].environments[1].locks.outside.message).toBe('made with git');

    const headers = { 'author-name': base64('Zoë Müller'), 'author-email': base64('zoe@example.com') };
    const lock = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/teams/discovery/locks/night',
      headers,
      payload: { message: 'night shift' },
    });
    expect(lock.statusCode).toBe(200);
    const deployment = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/applications/search/deployment',
      headers,
      payload: { version: 1, lockBehavior: 'ignore' },
    });
    expect(deployment.statusCode).toBe(200);
    const environment = await h.app.inject({
      method: 'POST',
      url: '/api/environments/prod-us',
      headers,
      payload: { environmentGroup: 'prod' },
    });
    expect(environment.statusCode).toBe(201);

    const body = (await h.app.inject({ url: '/api/overview' })).json();
    const prod = body.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'prod',
    );
    expect(prod.environments.map((environment: { name: string }) => environment.name)).toEqual([
      'prod-de',
      'prod-fr',
      'prod-us',
    ]);
    const [prodDe, prodFr, prodUs] = prod.environments;
    expect(prodDe.teamLocks).toEqual({
      discovery: {
        night: {
          lockId: 'night',
          message: 'night shift',
          createdAt: FIXED_TIME.toISOString(),
          createdBy: { name: 'Zoë Müller', email: 'zoe@example.com' },
          inForce: true,
        },
      },
    });
    expect(prodDe.applications.search).toEqual({
      name: 'search',
      version: 1,
      deployedBy: 'Zoë Müller',
      deployedByEmail: 'zoe@example.com',
      deployedAt: FIXED_TIME.toISOString(),
      locks: {},
    });
    // A lock with only a message: the missing files read as empty.
    expect(prodFr.locks).toEqual({
      outside: {
        lockId: 'outside',
        message: 'made with git',
        createdBy: { name: '', email: '' },
        inForce: true,
      },
    });
    expect(prodUs).toEqual({
      name: 'prod-us',
      config: { environmentGroup: 'prod' },
      locks: {},
      teamLocks: {},
      applications: {},
    });
  });

  it('lists corrupt data under problems with the file and still shows the rest (200)', async () => {
    const h = await start({
      ...OVERVIEW_WORLD,
      // Not JSON.
      'environments/prod-de/config.json': '{"upstream": {"environment": "staging",',
      // A version symlink pointing outside the repo, one to a release that does not exist,
      // and a queued_version naming another app.
      'environments/dev/applications/search/version': { symlink: '/etc/passwd' },
      'environments/dev/applications/docs/version': { symlink: '../../../../applications/docs/releases/99' },
      'environments/staging/applications/checkout/queued_version': {
        symlink: '../../../../applications/search/releases/1',
      },
    });
    const response = await h.app.inject({ url: '/api/overview' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(response.body).not.toContain(h.fixture.path);

    const files = body.problems.map((problem: { file: string }) => problem.file).sort();
    expect(files).toEqual([
      'environments/dev/applications/docs/version',
      'environments/dev/applications/search/version',
      'environments/prod-de/config.json',
      'environments/staging/applications/checkout/queued_version',
    ]);
    for (const problem of body.problems) {
      expect(problem).toEqual({ file: expect.any(String), reason: expect.any(String) });
      expect(problem.reason.length).toBeGreaterThan(0);
    }

    const groups = Object.fromEntries(
      body.environmentGroups.map((group: { environmentGroupName: string; environments: unknown[] }) => [
        group.environmentGroupName,
        group.environments,
      ]),
    );
    // prod-de's group cannot be read: it stands on its own name, with an empty config.
    expect(Object.keys(groups)).toEqual(['dev', 'prod', 'prod-de', 'sandbox', 'staging']);
    expect(groups['prod-de']).toEqual([{ ...EXPECTED_ENVIRONMENTS['prod-de'], config: {} }]);
    expect(groups.prod).toEqual([EXPECTED_ENVIRONMENTS['prod-fr']]);
    // The apps with a corrupt symlink are shown without the version; the rest as it is.
    const dev = groups.dev[0];
    expect(dev.applications.checkout).toEqual(deployedApp('checkout', 10));
    expect(dev.applications.search).toEqual({
      name: 'search',
      deployedBy: 'Fixture Author',
      deployedByEmail: 'fixture@example.com',
      deployedAt: '2026-11-01T00:00:00.000Z',
      locks: {},
    });
    expect(dev.applications.docs.version).toBeUndefined();
    expect(groups.staging[0].applications.checkout).toEqual(deployedApp('checkout', 2));
    expect(groups.staging[0].locks).toEqual(EXPECTED_ENVIRONMENTS.staging.locks);
    expect(body.applications).toEqual(EXPECTED_APPLICATIONS);
  });

  it('lists a plain file where a lock directory belongs under problems', async () => {
    const h = await start({
      ...OVERVIEW_WORLD,
      'environments/dev/locks/oops': 'a file, not a directory',
      'environments/staging/applications/docs/locks/bad': 'a file, not a directory',
    });
    const response = await h.app.inject({ url: '/api/overview' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.problems.map((problem: { file: string }) => problem.file).sort()).toEqual([
      'environments/dev/locks/oops',
      'environments/staging/applications/docs/locks/bad',
    ]);
    const dev = body.environmentGroups.find(
      (group: { environmentGroupName: string }) => group.environmentGroupName === 'dev',
    ).environments[0];
    expect(dev.locks).toEqual({});
    expect(dev.applications).toEqual(EXPECTED_ENVIRONMENTS.dev.applications);
  });

  it('answers 405 for another method', async () => {
    const h = await start(OVERVIEW_WORLD);
    const response = await h.app.inject({ method: 'POST', url: '/api/overview' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });
});
