// DELETE /api/environments/{env} (lifecycle.md "Environment deletion"): the environment's whole
// directory in one commit; refused while another environment takes its versions.
import { describe, expect, it } from 'vitest';
import { Permissions } from '../../src/auth/permissions.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { type Harness, harnessPerWorld } from '../support/appHarness.js';
import { AUTHOR, AUTHOR_HEADERS, expectError, expectOneCommit } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';

const start = harnessPerWorld();

const ENVS = ['dev', 'staging', 'qa', 'prod-de', 'prod-fr'];

const DELETION_WORLD = layoutFiles({
  apps: { checkout: { team: 'shop', releases: { 1: ENVS, 2: ENVS } } },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1 } },
    qa: {
      config: { upstream: { environment: 'dev' }, environmentGroup: 'test' },
      deployed: { checkout: 2 },
      locks: { 'qa-freeze': { message: 'frozen' } },
      teamLocks: { shop: { audit: { message: 'audit' } } },
      appLocks: { checkout: { hold: { message: 'hold' } } },
      queued: { checkout: 2 },
    },
    'prod-de': { config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' } },
    'prod-fr': { config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' } },
  },
});

/** The files under a directory at a commit (the tip by default). */
const paths = (h: Harness, under: string, commit = 'main') =>
  h.fixture.git(['ls-tree', '-r', '--name-only', commit, '--', under]).split('\n').filter(Boolean);

describe('DELETE /api/environments/{env}', () => {
  it('removes the whole directory in one commit, keeps the releases, and the history says environment', async () => {
    const h = await start(DELETION_WORLD);
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/qa',
      headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-delete-qa' },
    });
    expect(response.statusCode).toBe(200);
    const tip = expectOneCommit(h, before, 'req-delete-qa', AUTHOR);
    expect(response.json()).toEqual({ environment: 'qa', commitId: tip });
    expect(paths(h, 'environments/qa')).toEqual([]);
    expect(h.fixture.git(['log', '-1', '--format=%B', 'main'])).toBe(
      'Deleted environment "qa"\n\nRequest-Id: req-delete-qa\n\n',
    );
    // Only qa's directory changed: releases keep their manifests for qa.
    const removed = paths(h, 'environments/qa', before);
    expect(removed).toContain('environments/qa/teams/shop/locks/audit/message');
    expect(h.fixture.git(['diff', '--name-only', before, tip]).split('\n').filter(Boolean)).toEqual(removed);
    expect(h.fixture.show('applications/checkout/releases/2/environments/qa/manifests.yaml')).toContain('qa');

    const history = await h.app.inject({ url: '/api/history?limit=1' });
    expect(history.json().entries[0]).toMatchObject({
      kind: 'environment',
      summary: 'Deleted environment "qa"',
      commitId: tip,
      requestId: 'req-delete-qa',
    });
    // The next reads no longer see it.
    const overview = await h.app.inject({ url: '/api/overview' });
    const names = overview
      .json()
      .environmentGroups.flatMap((group: { environments: { name: string }[] }) =>
        group.environments.map((environment) => environment.name),
      );
    expect(names).toEqual(['dev', 'prod-de', 'prod-fr', 'staging']);
    expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/environments/qa' }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
  });

  it('is refused with 409 ENVIRONMENT_IN_USE listing the environments that take its versions', async () => {
    const h = await start(DELETION_WORLD);
    const before = h.fixture.tip();
    const response = await h.app.inject({ method: 'DELETE', url: '/api/environments/staging' });
    const body = expectError(response, 409, 'ENVIRONMENT_IN_USE');
    expect(body.message).toBe(
      "Environment 'staging' is the upstream of 'prod-de', 'prod-fr': delete or re-point those first.",
    );
    expect(body.details).toEqual({ environments: ['prod-de', 'prod-fr'] });
    expect(h.fixture.tip()).toBe(before);
  });

  it('is a 404 for an unknown environment and a 400 for an invalid name, writing nothing', async () => {
    const h = await start(DELETION_WORLD);
    const before = h.fixture.tip();
    const unknown = await h.app.inject({ method: 'DELETE', url: '/api/environments/nowhere' });
    expect(expectError(unknown, 404, 'ENVIRONMENT_NOT_FOUND').message).toBe(
      "No environment named 'nowhere' exists.",
    );
    expectError(
      await h.app.inject({ method: 'DELETE', url: '/api/environments/Prod' }),
      400,
      'INVALID_INPUT',
    );
    // Kuberpult's older path without /api/ has no DELETE.
    expectError(await h.app.inject({ method: 'DELETE', url: '/environments/qa' }), 405, 'METHOD_NOT_ALLOWED');
    expect(h.fixture.tip()).toBe(before);
  });

  it('fails naming the file when a config it must read is corrupt', async () => {
    const h = await start({ ...DELETION_WORLD, 'environments/prod-fr/config.json': '{"upstream": ' });
    const before = h.fixture.tip();
    const response = await h.app.inject({ method: 'DELETE', url: '/api/environments/dev' });
    expect(expectError(response, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      'environments/prod-fr/config.json',
    );
    expect(h.fixture.tip()).toBe(before);
  });

  it('needs DeleteEnvironment on <group>:<env>', async () => {
    const policy = parsePolicy(
      [
        'p, role:tester, DeleteEnvironment, test:*, *, allow',
        // Other actions on prod do not allow deleting it.
        'p, role:tester, CreateEnvironment, prod:*, *, allow',
        'p, role:tester, CreateLock, prod:*, *, allow',
        `g, ${AUTHOR.email}, role:tester`,
      ].join('\n'),
      'policy.csv',
    );
    const h = await start(DELETION_WORLD, { permissions: new Permissions(policy) });
    const before = h.fixture.tip();
    const refused = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/prod-fr',
      headers: AUTHOR_HEADERS,
    });
    expect(expectError(refused, 403, 'FORBIDDEN').message).toBe(
      `${AUTHOR.email} may not DeleteEnvironment in environment 'prod-fr' (group 'prod').`,
    );
    expect(h.fixture.tip()).toBe(before);
    const allowed = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/qa',
      headers: AUTHOR_HEADERS,
    });
    expect(allowed.statusCode).toBe(200);
    expect(paths(h, 'environments/qa')).toEqual([]);
  });
});
