import { describe, expect, it } from 'vitest';
import { RefConflictError } from '../../src/domain/errors.js';
import type { ChainChanges } from '../../src/manifest/repository.js';
import { base64, FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { manifestContent } from '../support/layout.js';
import { PROD_PROGNOSIS, PROD_TRAIN_MESSAGE, WORLD } from './world.js';

let harness: Harness;
// One harness per world for the file, its refs put back before each test that starts it.
const start = harnessPerWorld();

const commitCount = () => Number(harness.fixture.git(['rev-list', '--count', 'main']).trim());

describe('GET prognosis', () => {
  it('reports every environment and app outcome of a group in the protobuf JSON shape', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ envsPrognoses: PROD_PROGNOSIS });
    // Output maps are keyed by name in ascending order.
    expect(Object.keys(response.json().envsPrognoses)).toEqual([
      'prod-au',
      'prod-br',
      'prod-ca',
      'prod-de',
      'prod-jp',
      'prod-us',
    ]);
  });

  it('resolves a group name on the environments path (target type unknown)', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({ url: '/api/environments/prod/releasetrain/prognosis' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ envsPrognoses: PROD_PROGNOSIS });
  });

  it('plans one environment from latest with versions as JSON numbers', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({ url: '/api/environments/staging/releasetrain/prognosis' });
    expect(response.json()).toEqual({
      envsPrognoses: {
        staging: {
          appsPrognoses: {
            prognoses: {
              billing: { deployedVersion: { version: 2 } },
              cart: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
              checkout: { deployedVersion: { version: 3 } },
              docs: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
              search: { deployedVersion: { version: 4 } },
            },
          },
        },
      },
    });
  });

  it('leaves apps of other teams out entirely with ?team=', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      url: '/api/environments/prod-ca/releasetrain/prognosis?team=shop',
    });
    expect(response.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses).toEqual({
      cart: { skipCause: 'APP_DOES_NOT_EXIST_IN_ENV' },
      checkout: { deployedVersion: { version: 2 } },
      legacy: { skipCause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' },
    });
  });

  it('sees a commit made outside the service at once', async () => {
    harness = await start(WORLD);
    const url = '/api/environments/prod-ca/releasetrain/prognosis';
    expect((await harness.app.inject({ url })).json().envsPrognoses['prod-ca'].appsPrognoses).toBeDefined();
    harness.fixture.commit({ 'environments/prod-ca/locks/outside/message': 'made with git' });
    const after = (await harness.app.inject({ url })).json();
    expect(after.envsPrognoses['prod-ca'].skipCause).toBe('ENV_IS_LOCKED');
    expect(after.envsPrognoses['prod-ca'].envLocks.outside.message).toBe('made with git');
  });

  it('writes nothing', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    await harness.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    expect(harness.fixture.tip()).toBe(before);
  });
});

describe('PUT release train', () => {
  it('commits exactly the prognosis as one commit with the documented message and trailers', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const prognosis = await harness.app.inject({
      url: '/api/environment-groups/prod/releasetrain/prognosis',
    });

    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers: {
        'author-name': base64('Zoë Müller'),
        'author-email': base64('zoe@example.com'),
        'x-request-id': 'req-42',
      },
      payload: { ciLink: 'https://ci.example.com/pipelines/7' },
    });

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      target: 'prod',
      commitId: harness.fixture.tip(),
      // The plan the prognosis named is the one applied.
      planId: prognosis.headers.etag?.toString().slice(1, -1),
      envsPrognoses: prognosis.json().envsPrognoses,
    });
    expect(response.headers.etag).toBe(prognosis.headers.etag);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(harness.fixture.git(['rev-parse', `${body.commitId}^`]).trim()).toBe(before);
    expect(harness.fixture.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');
    const [author, committer, date] = harness.fixture
      .git(['log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%aI', 'main'])
      .trim()
      .split('\n');
    expect(author).toBe('Zoë Müller <zoe@example.com>');
    expect(committer).toBe('Trainyard <trainyard@trainyard.invalid>');
    expect(date).toBe('2026-11-26T10:00:00+00:00');
    expect(harness.fixture.git(['log', '-1', '--format=%B', 'main'])).toBe(
      `${PROD_TRAIN_MESSAGE('req-42', 'https://ci.example.com/pipelines/7')}\n`,
    );
    const trailers = harness.fixture.git(['log', '-1', '--format=%(trailers:only,unfold)', 'main']);
    expect(trailers).toContain(
      'Release-Train-Target: prod\nCi-Link: https://ci.example.com/pipelines/7\nRequest-Id: req-42',
    );
  });

  it('writes the deployment files byte for byte and removes the queued version', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers: { 'author-name': base64('Ana'), 'author-email': base64('ana@example.com') },
    });
    const app = 'environments/prod-ca/applications/checkout';
    expect(harness.fixture.modeOf(`${app}/version`)).toBe('120000 blob');
    expect(harness.fixture.show(`${app}/version`)).toBe('../../../../applications/checkout/releases/2');
    expect(harness.fixture.show(`${app}/manifests/manifests.yaml`)).toBe(
      manifestContent('checkout', 2, 'prod-ca'),
    );
    expect(harness.fixture.show(`${app}/deployed_by`)).toBe('Ana');
    expect(harness.fixture.show(`${app}/deployed_by_email`)).toBe('ana@example.com');
    expect(harness.fixture.show(`${app}/deployed_at_utc`)).toBe(FIXED_TIME.toISOString());
    expect(harness.fixture.modeOf(`${app}/queued_version`)).toBeUndefined();
    const changed = harness.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n');
    expect(changed).toEqual([
      `${app}/deployed_at_utc`,
      `${app}/deployed_by`,
      `${app}/deployed_by_email`,
      `${app}/manifests/manifests.yaml`,
      `${app}/queued_version`,
      `${app}/version`,
    ]);
  });

  it('uses the default identity without author headers', async () => {
    harness = await start(WORLD);
    await harness.app.inject({ method: 'PUT', url: '/api/environments/prod-ca/releasetrain' });
    expect(harness.fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'Trainyard User <trainyard-user@trainyard.invalid>',
    );
  });

  it('makes no commit and answers commitId null when nothing is deployed', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/releasetrain',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      target: 'prod-de',
      commitId: null,
      planId: expect.stringMatching(/^[0-9a-f]{64}$/),
      envsPrognoses: { 'prod-de': PROD_PROGNOSIS['prod-de'] },
    });
    expect(harness.fixture.tip()).toBe(before);
  });

  it('runs a team train with the team in the response and the commit message', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain?team=shop',
    });
    expect(response.json()).toMatchObject({ target: 'staging', team: 'shop' });
    expect(Object.keys(response.json().envsPrognoses.staging.appsPrognoses.prognoses)).toEqual([
      'cart',
      'checkout',
    ]);
    const message = harness.fixture.git(['log', '-1', '--format=%B', 'main']);
    expect(message).toContain(
      "The release train deployed 1 services from 'dev' to 'staging' for team 'shop'",
    );
    expect(message).toContain('Release-Train-Team: shop');
  });

  it('resolves the older path as a group first, then as an environment', async () => {
    harness = await start(WORLD);
    const group = await harness.app.inject({ method: 'PUT', url: '/environments/prod/releasetrain' });
    expect(Object.keys(group.json().envsPrognoses)).toHaveLength(6);
    const environment = await harness.app.inject({
      method: 'PUT',
      url: '/environments/staging/releasetrain',
    });
    expect(Object.keys(environment.json().envsPrognoses)).toEqual(['staging']);
  });

  it('accepts an empty body with a JSON content type, as Kuberpult clients send it', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().commitId).toBe(harness.fixture.tip());
  });

  it('serialises concurrent trains: the same deployment is committed once', async () => {
    harness = await start(WORLD);
    const before = commitCount();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        harness.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain' }),
      ),
    );
    const commitIds = responses.map((response) => response.json().commitId);
    expect(commitIds.filter((id) => id !== null)).toHaveLength(1);
    expect(commitCount()).toBe(before + 1);
  });

  it('plans again on the new tip when the branch moves between read and write, keeping the outside change', async () => {
    harness = await start(WORLD);
    const original = harness.repo.commitChain.bind(harness.repo);
    let raced = false;
    harness.repo.commitChain = async (request: ChainChanges) => {
      if (!raced) {
        raced = true;
        // Someone locks checkout in prod-ca with plain git while the train is being written.
        harness.fixture.commit({ 'environments/prod-ca/applications/checkout/locks/race/message': 'mine' });
      }
      return original(request);
    };
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
    });
    expect(response.statusCode).toBe(200);
    // The re-plan saw the lock: nothing to deploy, no commit over the outside one.
    expect(response.json().commitId).toBeNull();
    expect(response.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.checkout.skipCause).toBe(
      'APP_IS_LOCKED',
    );
    expect(harness.fixture.show('environments/prod-ca/applications/checkout/locks/race/message')).toBe(
      'mine',
    );
    expect(harness.fixture.show('environments/prod-ca/applications/checkout/version')).toContain(
      '/releases/1',
    );
  });

  it('answers 503 and writes nothing when the branch keeps moving', async () => {
    harness = await start(WORLD);
    harness.repo.commitChain = async () => {
      throw new RefConflictError('refs/heads/main');
    };
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('REPO_BUSY');
    expect(harness.fixture.tip()).toBe(before);
  });
});
