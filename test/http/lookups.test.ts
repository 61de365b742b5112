// Kuberpult's read endpoints (lifecycle.md "Looking things up"): the source commit of a deployed
// version, where the releases of a commit are deployed, and a release with its manifests.
import { describe, expect, it } from 'vitest';
import { harnessPerWorld } from '../support/appHarness.js';
import { expectError } from '../support/httpExpectations.js';
import { layoutFiles, manifestContent } from '../support/layout.js';

const start = harnessPerWorld();

const COMMIT = '0123abcdef0123abcdef0123abcdef0123abcdef';
const OTHER_COMMIT = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
// The layout fixture writes this created_at into every release.
const FIXTURE_CREATED_SECONDS = Date.parse('2026-11-01T00:00:00Z') / 1000;

const RELEASE_2 = 'applications/checkout/releases/2';

const LOOKUP_WORLD = {
  ...layoutFiles({
    apps: {
      checkout: {
        team: 'shop',
        releases: { 1: ['dev', 'staging', 'prod'], 2: ['dev', 'staging', 'prod'], 3: ['dev', 'staging'] },
      },
      cart: { releases: { 1: ['dev', 'staging'] } },
      search: { releases: { 1: ['dev'] } },
    },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { checkout: 3, cart: 1 } },
      staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 2 } },
      prod: { config: { upstream: { environment: 'staging' } }, deployed: { checkout: 1 } },
    },
  }),
  [`${RELEASE_2}/source_commit_id`]: COMMIT,
  [`${RELEASE_2}/source_author`]: 'Ana Lima <ana@example.com>',
  [`${RELEASE_2}/source_message`]: 'Add the basket (#42)\n\nWith a longer body.',
  [`${RELEASE_2}/display_version`]: '1.2',
  'applications/checkout/releases/3/source_commit_id': OTHER_COMMIT,
  // Another app built from the same commit (a monorepo), written by hand in upper case.
  'applications/cart/releases/1/source_commit_id': COMMIT.toUpperCase(),
};

describe('GET /api/environments/{env}/applications/{app}/commit', () => {
  it("answers the deployed release's source commit in Kuberpult's snake_case, empty fields left out", async () => {
    const h = await start(LOOKUP_WORLD);
    const staging = await h.app.inject({ url: '/api/environments/staging/applications/checkout/commit' });
    expect(staging.statusCode).toBe(200);
    expect(staging.body).toBe(
      JSON.stringify({
        author: 'Ana Lima <ana@example.com>',
        commit_id: COMMIT,
        commit_message: 'Add the basket (#42)\n\nWith a longer body.',
      }),
    );
    // Release 1 has none of the three files.
    const prod = await h.app.inject({ url: '/api/environments/prod/applications/checkout/commit' });
    expect(prod.statusCode).toBe(200);
    expect(prod.json()).toEqual({});
    const dev = await h.app.inject({ url: '/api/environments/dev/applications/checkout/commit' });
    expect(dev.json()).toEqual({ commit_id: OTHER_COMMIT });
  });

  it('is a 404 where the app is not deployed, or the environment does not exist', async () => {
    const h = await start(LOOKUP_WORLD);
    const notDeployed = await h.app.inject({ url: '/api/environments/prod/applications/cart/commit' });
    expect(expectError(notDeployed, 404, 'NOT_DEPLOYED').message).toBe("'cart' is not deployed in 'prod'.");
    const unknownApp = await h.app.inject({ url: '/api/environments/prod/applications/nothing/commit' });
    expectError(unknownApp, 404, 'NOT_DEPLOYED');
    const unknownEnv = await h.app.inject({ url: '/api/environments/qa/applications/checkout/commit' });
    expectError(unknownEnv, 404, 'ENVIRONMENT_NOT_FOUND');
    expectError(
      await h.app.inject({ url: '/api/environments/Qa/applications/checkout/commit' }),
      400,
      'INVALID_INPUT',
    );
  });

  it('names the version symlink when it is corrupt', async () => {
    const h = await start({
      ...LOOKUP_WORLD,
      'environments/staging/applications/checkout/version': { symlink: '../../../../etc/passwd' },
    });
    const corruptLink = await h.app.inject({ url: '/api/environments/staging/applications/checkout/commit' });
    expect(expectError(corruptLink, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      'environments/staging/applications/checkout/version',
    );
  });

  it('names a source file that is a directory', async () => {
    const { [`${RELEASE_2}/source_author`]: _author, ...withoutAuthor } = LOOKUP_WORLD;
    const h = await start({ ...withoutAuthor, [`${RELEASE_2}/source_author/oops`]: 'a directory' });
    const corruptFile = await h.app.inject({ url: '/api/environments/staging/applications/checkout/commit' });
    expect(expectError(corruptFile, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      `${RELEASE_2}/source_author`,
    );
  });
});

describe('GET /api/commit-deployments/{commitId}', () => {
  it('lists, per app with a release of that commit, where it is deployed and where it is pending', async () => {
    const h = await start(LOOKUP_WORLD);
    const response = await h.app.inject({ url: `/api/commit-deployments/${COMMIT}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      deploymentStatus: {
        // Release 2 of checkout: dev has 3, staging 2, prod still 1.
        checkout: { deploymentStatus: { dev: 'DEPLOYED', prod: 'PENDING', staging: 'DEPLOYED' } },
        // Release 1 of cart exists in dev (deployed) and staging (nothing deployed there).
        cart: { deploymentStatus: { dev: 'DEPLOYED', staging: 'PENDING' } },
      },
    });
    // The commit in upper case is the same commit.
    const upper = await h.app.inject({ url: `/api/commit-deployments/${COMMIT.toUpperCase()}` });
    expect(upper.json()).toEqual(response.json());
  });

  it('takes the first release of an app built from the commit, in each environment it exists in', async () => {
    // Release 3 of checkout was built from the commit of release 2 too: staging has it with 2.
    const h = await start({ ...LOOKUP_WORLD, 'applications/checkout/releases/3/source_commit_id': COMMIT });
    const response = await h.app.inject({ url: `/api/commit-deployments/${COMMIT}` });
    expect(response.json().deploymentStatus.checkout).toEqual({
      deploymentStatus: { dev: 'DEPLOYED', prod: 'PENDING', staging: 'DEPLOYED' },
    });
  });

  it('answers an empty map for a commit no release was built from, and 400 for a malformed one', async () => {
    const h = await start(LOOKUP_WORLD);
    const unknown = await h.app.inject({ url: `/api/commit-deployments/${'b'.repeat(40)}` });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ deploymentStatus: {} });
    for (const bad of ['abc', 'g'.repeat(40), 'a'.repeat(41)]) {
      expectError(await h.app.inject({ url: `/api/commit-deployments/${bad}` }), 400, 'INVALID_INPUT');
    }
  });

  it('leaves out environments that no longer exist', async () => {
    const h = await start({
      ...LOOKUP_WORLD,
      'applications/search/releases/1/source_commit_id': COMMIT,
      'applications/search/releases/1/environments/gone/manifests.yaml': 'gone: 1\n',
    });
    const response = await h.app.inject({ url: `/api/commit-deployments/${COMMIT}` });
    expect(response.json().deploymentStatus.search).toEqual({ deploymentStatus: { dev: 'PENDING' } });
  });

  it('fails naming a corrupt deployment it needs', async () => {
    const corrupt = await start({
      ...LOOKUP_WORLD,
      'environments/prod/applications/checkout/version': {
        symlink: '../../../../applications/checkout/releases/9',
      },
    });
    const failed = await corrupt.app.inject({ url: `/api/commit-deployments/${COMMIT}` });
    expect(expectError(failed, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      'environments/prod/applications/checkout/version',
    );
  });
});

describe('GET /api/application/{app}/release/{version}/manifests', () => {
  const checkout2 = {
    release: {
      version: 2,
      source_commit_id: COMMIT,
      source_author: 'Ana Lima <ana@example.com>',
      source_message: 'Add the basket (#42)\n\nWith a longer body.',
      created_at: { seconds: FIXTURE_CREATED_SECONDS },
      undeploy_version: false,
      display_version: '1.2',
      environments: ['dev', 'prod', 'staging'],
    },
    manifests: {
      dev: { environment: 'dev', content: manifestContent('checkout', 2, 'dev') },
      prod: { environment: 'prod', content: manifestContent('checkout', 2, 'prod') },
      staging: { environment: 'staging', content: manifestContent('checkout', 2, 'staging') },
    },
  };

  it("answers the release and its manifests in Kuberpult's shape, on both of Kuberpult's paths", async () => {
    const h = await start(LOOKUP_WORLD);
    const response = await h.app.inject({ url: '/api/application/checkout/release/2/manifests' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(checkout2);
    // Kuberpult's current path puts the version last.
    const newer = await h.app.inject({ url: '/api/application/checkout/release/manifests/2' });
    expect(newer.body).toBe(response.body);
  });

  it('takes latest for the newest release; a release without metadata has only what it has', async () => {
    const h = await start(LOOKUP_WORLD);
    const latest = await h.app.inject({ url: '/api/application/checkout/release/latest/manifests' });
    expect(latest.json()).toEqual({
      release: {
        version: 3,
        source_commit_id: OTHER_COMMIT,
        created_at: { seconds: FIXTURE_CREATED_SECONDS },
        undeploy_version: false,
        environments: ['dev', 'staging'],
      },
      manifests: {
        dev: { environment: 'dev', content: manifestContent('checkout', 3, 'dev') },
        staging: { environment: 'staging', content: manifestContent('checkout', 3, 'staging') },
      },
    });
  });

  it('says undeploy_version for a release with an undeploy file, and keeps the nanoseconds of created_at', async () => {
    const h = await start({
      ...LOOKUP_WORLD,
      'applications/cart/releases/1/undeploy': '',
      'applications/cart/releases/1/created_at': '2026-11-02T10:20:30.250Z',
    });
    const response = await h.app.inject({ url: '/api/application/cart/release/1/manifests' });
    expect(response.json().release).toMatchObject({
      version: 1,
      undeploy_version: true,
      created_at: { seconds: Date.parse('2026-11-02T10:20:30Z') / 1000, nanos: 250_000_000 },
    });
  });

  it('is a 404 for an unknown app or version, and a 400 for a version that is neither a number nor latest', async () => {
    const h = await start({ ...LOOKUP_WORLD, 'applications/empty/team': 'shop' });
    expectError(
      await h.app.inject({ url: '/api/application/nothing/release/1/manifests' }),
      404,
      'APPLICATION_NOT_FOUND',
    );
    const missing = await h.app.inject({ url: '/api/application/checkout/release/9/manifests' });
    expect(expectError(missing, 404, 'RELEASE_NOT_FOUND').message).toBe(
      "Release 9 of 'checkout' does not exist.",
    );
    expectError(
      await h.app.inject({ url: '/api/application/empty/release/latest/manifests' }),
      404,
      'RELEASE_NOT_FOUND',
    );
    for (const bad of ['0', '01', '1.5', 'newest']) {
      expectError(
        await h.app.inject({ url: `/api/application/checkout/release/${bad}/manifests` }),
        400,
        'INVALID_INPUT',
      );
    }
  });

  it('names a created_at that is not a time', async () => {
    const h = await start({ ...LOOKUP_WORLD, 'applications/checkout/releases/1/created_at': 'yesterday' });
    const response = await h.app.inject({ url: '/api/application/checkout/release/1/manifests' });
    expect(expectError(response, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      'applications/checkout/releases/1/created_at',
    );
  });
});
