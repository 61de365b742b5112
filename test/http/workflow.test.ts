// The documented workflow end to end, through HTTP only, on an empty manifest repo: environments,
// releases that land in dev, locks, trains to one environment and to a group. After each step
// the repo is checked with plain git.
import { afterEach, describe, expect, it } from 'vitest';
import { base64, FIXED_TIME, type Harness, startHarness } from '../support/appHarness.js';
import { type FormPart, multipartBody } from '../support/multipart.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type Part = Pick<FormPart, 'name' | 'filename'> & { readonly value: string };

/** Manifests go as application/yaml files, as Kuberpult's CI scripts send them. */
function multipart(parts: readonly Part[]): { payload: Buffer; contentType: string } {
  return multipartBody(
    parts.map((part) => (part.filename === undefined ? part : { ...part, contentType: 'application/yaml' })),
  );
}

const HEADERS = { 'author-name': base64('Ana Ops'), 'author-email': base64('ana@example.com') };
const ENVIRONMENTS = ['dev', 'staging', 'prod-ca', 'prod-de', 'prod-us'];
const PROD = ['prod-ca', 'prod-de', 'prod-us'];
/** Two teams: shop has two apps, discovery one. */
const APPS = { cart: 'shop', checkout: 'shop', search: 'discovery' } as const;
type AppName = keyof typeof APPS;

const manifest = (app: string, version: number, environment: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\n  labels: {version: "${version}", env: ${environment}}\n`;

describe('the documented workflow', () => {
  it('replays environments, releases, locks and trains through HTTP, one commit per write step', async () => {
    harness = await startHarness({});
    const { app, fixture } = harness;
    const git = (...args: string[]) => fixture.git(args);
    let commits = 0;
    /** One more commit on the branch, whose parent is the previous tip. */
    const expectOneCommit = (previous: string | null, requestId: string) => {
      commits += 1;
      expect(Number(git('rev-list', '--count', 'main').trim())).toBe(commits);
      if (previous !== null) expect(git('rev-parse', 'main^').trim()).toBe(previous);
      expect(git('log', '-1', '--format=%an <%ae>|%cn', 'main').trim()).toBe(
        'Ana Ops <ana@example.com>|Trainyard',
      );
      expect(git('log', '-1', '--format=%(trailers:key=Request-Id,valueonly)', 'main').trim()).toBe(
        requestId,
      );
      return fixture.tip();
    };
    const tipOrNull = () => (commits === 0 ? null : fixture.tip());
    const version = (environment: string, name: string) => {
      const path = `main:environments/${environment}/applications/${name}/version`;
      return git('cat-file', '-p', path);
    };
    const link = (name: string, n: number) => `../../../../applications/${name}/releases/${n}`;
    const has = (path: string) => git('ls-tree', 'main', '--', path).trim() !== '';
    const expectVersions = (environment: string, expected: Record<AppName, number | undefined>) => {
      for (const [name, n] of Object.entries(expected)) {
        if (n === undefined)
          expect(has(`environments/${environment}/applications/${name}/version`)).toBe(false);
        else expect(version(environment, name)).toBe(link(name, n));
      }
    };
    let step = 0;
    const requestId = () => `workflow-${++step}`;

    // 1. Environments: dev takes the latest releases, staging follows dev, the prod regions
    //    follow staging. dev and staging as JSON, the prod regions as Kuberpult's multipart form.
    const configs: Record<string, object> = {
      dev: { upstream: { latest: true } },
      staging: {
        upstream: { environment: 'dev' },
        argocd: { destination: { server: 'https://k8s.example' } },
      },
      ...Object.fromEntries(
        PROD.map((environment) => [
          environment,
          { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
        ]),
      ),
    };
    for (const environment of ENVIRONMENTS) {
      const before = tipOrNull();
      const id = requestId();
      const config = configs[environment] as object;
      const asForm = environment.startsWith('prod-');
      const { payload, contentType } = multipart([{ name: 'config', value: JSON.stringify(config) }]);
      const response = await app.inject({
        method: 'POST',
        url: `/api/environments/${environment}`,
        headers: { ...HEADERS, 'x-request-id': id, ...(asForm ? { 'content-type': contentType } : {}) },
        ...(asForm ? { payload } : { payload: config }),
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ environment, created: true, config });
      expectOneCommit(before, id);
      expect(JSON.parse(git('cat-file', '-p', `main:environments/${environment}/config.json`))).toEqual(
        config,
      );
    }
    expect(git('ls-tree', '--name-only', 'main', 'environments/').trim().split('\n')).toEqual([
      'environments/dev',
      'environments/prod-ca',
      'environments/prod-de',
      'environments/prod-us',
      'environments/staging',
    ]);

    // 2. Release 1 of each app, with manifests for every environment: it lands in dev at once,
    //    in the release's own commit, and nowhere else.
    const release = async (name: AppName, n: number, expected: 201 = 201) => {
      const before = tipOrNull();
      const id = requestId();
      const { payload, contentType } = multipart([
        { name: 'application', value: name },
        { name: 'team', value: APPS[name] },
        { name: 'source_commit_id', value: `${'c0ffee'.repeat(6)}${String(n).padStart(4, '0')}` },
        ...ENVIRONMENTS.map((environment) => ({
          name: `manifests[${environment}]`,
          value: manifest(name, n, environment),
          filename: `${environment}.yaml`,
        })),
      ]);
      const response = await app.inject({
        method: 'POST',
        url: '/api/release',
        headers: { ...HEADERS, 'x-request-id': id, 'content-type': contentType },
        payload,
      });
      expect(response.statusCode).toBe(expected);
      expect(response.json()).toEqual({ application: name, version: n });
      return expectOneCommit(before, id);
    };
    for (const name of Object.keys(APPS) as AppName[]) {
      const commit = await release(name, 1);
      expect(git('diff-tree', '--no-commit-id', '--name-only', '-r', `${commit}^`, commit)).toContain(
        `environments/dev/applications/${name}/version`,
      );
      expect(git('cat-file', '-p', `main:applications/${name}/team`)).toBe(APPS[name]);
      expect(
        git('cat-file', '-p', `main:environments/dev/applications/${name}/manifests/manifests.yaml`),
      ).toBe(manifest(name, 1, 'dev'));
      expect(git('cat-file', '-p', `main:environments/dev/applications/${name}/deployed_by`)).toBe('Ana Ops');
      expect(git('cat-file', '-p', `main:environments/dev/applications/${name}/deployed_at_utc`)).toBe(
        FIXED_TIME.toISOString(),
      );
    }
    expectVersions('dev', { cart: 1, checkout: 1, search: 1 });
    for (const environment of ['staging', ...PROD]) {
      expect(has(`environments/${environment}/applications`)).toBe(false);
    }

    // 3. Lock dev.
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'PUT',
        url: '/api/environments/dev/locks/freeze',
        headers: { ...HEADERS, 'x-request-id': id },
        payload: { message: 'testing in dev', suggestedLifetime: '2h' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ lockId: 'freeze', message: 'testing in dev' });
      expectOneCommit(before, id);
      expect(git('cat-file', '-p', 'main:environments/dev/locks/freeze/message')).toBe('testing in dev');
    }

    // 4. Train dev -> staging: the versions of dev (the lock on dev does not matter).
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'PUT',
        url: '/api/environments/staging/releasetrain',
        headers: { ...HEADERS, 'x-request-id': id },
      });
      expect(response.statusCode).toBe(200);
      const tip = expectOneCommit(before, id);
      expect(response.json()).toEqual({
        target: 'staging',
        commitId: tip,
        planId: expect.stringMatching(/^[0-9a-f]{64}$/),
        envsPrognoses: {
          staging: {
            appsPrognoses: {
              prognoses: {
                cart: { deployedVersion: { version: 1 } },
                checkout: { deployedVersion: { version: 1 } },
                search: { deployedVersion: { version: 1 } },
              },
            },
          },
        },
      });
      expectVersions('staging', { cart: 1, checkout: 1, search: 1 });
      expect(
        git('cat-file', '-p', 'main:environments/staging/applications/cart/manifests/manifests.yaml'),
      ).toBe(manifest('cart', 1, 'staging'));
    }

    // 5. A newer release of checkout: dev is locked, so it is queued there, not deployed.
    {
      const commit = await release('checkout', 2);
      expectVersions('dev', { cart: 1, checkout: 1, search: 1 });
      expect(git('cat-file', '-p', 'main:environments/dev/applications/checkout/queued_version')).toBe(
        link('checkout', 2),
      );
      expect(
        git('cat-file', '-p', 'main:environments/dev/applications/checkout/manifests/manifests.yaml'),
      ).toBe(manifest('checkout', 1, 'dev'));
      expect(
        git('diff-tree', '--no-commit-id', '--name-only', '-r', `${commit}^`, commit).trim().split('\n'),
      ).toEqual([
        'applications/checkout/releases/2/created_at',
        ...ENVIRONMENTS.map(
          (environment) => `applications/checkout/releases/2/environments/${environment}/manifests.yaml`,
        ).sort(),
        'applications/checkout/releases/2/source_commit_id',
        'environments/dev/applications/checkout/queued_version',
      ]);
    }

    // 6. Unlock dev: nothing is deployed; the queued version differs from the deployed one and stays.
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'DELETE',
        url: '/api/environments/dev/locks/freeze',
        headers: { ...HEADERS, 'x-request-id': id },
      });
      expect(response.statusCode).toBe(204);
      const tip = expectOneCommit(before, id);
      expect(has('environments/dev/locks')).toBe(false);
      expectVersions('dev', { cart: 1, checkout: 1, search: 1 });
      expect(git('cat-file', '-p', 'main:environments/dev/applications/checkout/queued_version')).toBe(
        link('checkout', 2),
      );
      expect(
        git('diff-tree', '--no-commit-id', '--name-only', '-r', `${tip}^`, tip).trim().split('\n'),
      ).toEqual([
        'environments/dev/locks/freeze/created_at',
        'environments/dev/locks/freeze/created_by_email',
        'environments/dev/locks/freeze/created_by_name',
        'environments/dev/locks/freeze/message',
        'environments/dev/locks/freeze/suggested_lifetime',
      ]);
    }

    // 7. Train latest -> dev: the newest release of checkout, and its queued version goes.
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'PUT',
        url: '/api/environments/dev/releasetrain',
        headers: { ...HEADERS, 'x-request-id': id },
      });
      expect(response.statusCode).toBe(200);
      const tip = expectOneCommit(before, id);
      expect(response.json()).toEqual({
        target: 'dev',
        commitId: tip,
        planId: expect.stringMatching(/^[0-9a-f]{64}$/),
        envsPrognoses: {
          dev: {
            appsPrognoses: {
              prognoses: {
                cart: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
                checkout: { deployedVersion: { version: 2 } },
                search: { skipCause: 'APP_ALREADY_IN_UPSTREAM_VERSION' },
              },
            },
          },
        },
      });
      expectVersions('dev', { cart: 1, checkout: 2, search: 1 });
      expect(has('environments/dev/applications/checkout/queued_version')).toBe(false);
      expect(
        git('cat-file', '-p', 'main:environments/dev/applications/checkout/manifests/manifests.yaml'),
      ).toBe(manifest('checkout', 2, 'dev'));
      expect(git('log', '-1', '--format=%B', 'main')).toContain(
        'The release train deployed 1 services from \'latest\' to \'dev\'\ndeployed version 2 of "checkout" to "dev"',
      );
    }

    // 8. A team lock for shop in one prod region.
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'PUT',
        url: '/api/environments/prod-de/teams/shop/locks/audit',
        headers: { ...HEADERS, 'x-request-id': id },
        payload: { message: 'audit week' },
      });
      expect(response.statusCode).toBe(200);
      expectOneCommit(before, id);
      expect(git('cat-file', '-p', 'main:environments/prod-de/teams/shop/locks/audit/message')).toBe(
        'audit week',
      );
    }

    // 9. Group train over prod from staging: one commit; shop's apps are held back in prod-de only.
    {
      const before = tipOrNull();
      const id = requestId();
      const response = await app.inject({
        method: 'PUT',
        url: '/api/environment-groups/prod/releasetrain',
        headers: { ...HEADERS, 'x-request-id': id },
        payload: { ciLink: 'https://ci.example.com/trains/9' },
      });
      expect(response.statusCode).toBe(200);
      const tip = expectOneCommit(before, id);
      const deployAll = {
        appsPrognoses: {
          prognoses: {
            cart: { deployedVersion: { version: 1 } },
            checkout: { deployedVersion: { version: 1 } },
            search: { deployedVersion: { version: 1 } },
          },
        },
      };
      const teamLock = {
        skipCause: 'TEAM_IS_LOCKED',
        teamLocks: [
          {
            lockId: 'audit',
            message: 'audit week',
            createdAt: FIXED_TIME.toISOString(),
            createdBy: { name: 'Ana Ops', email: 'ana@example.com' },
          },
        ],
      };
      expect(response.json()).toEqual({
        target: 'prod',
        commitId: tip,
        planId: expect.stringMatching(/^[0-9a-f]{64}$/),
        envsPrognoses: {
          'prod-ca': deployAll,
          'prod-de': {
            appsPrognoses: {
              prognoses: { cart: teamLock, checkout: teamLock, search: { deployedVersion: { version: 1 } } },
            },
          },
          'prod-us': deployAll,
        },
      });
      expectVersions('prod-ca', { cart: 1, checkout: 1, search: 1 });
      expectVersions('prod-de', { cart: undefined, checkout: undefined, search: 1 });
      expectVersions('prod-us', { cart: 1, checkout: 1, search: 1 });
      expect(git('log', '-1', '--format=%(trailers:key=Ci-Link,valueonly)', 'main').trim()).toBe(
        'https://ci.example.com/trains/9',
      );
      expect(git('log', '-1', '--format=%B', 'main')).toContain(
        'skipping application "cart" in environment "prod-de" due to team lock on team "shop"',
      );
    }

    // The history: exactly one commit per write step (5 environments, 4 releases, 3 lock
    // changes, 3 trains), linear, each with the request id of its step.
    expect(commits).toBe(15);
    expect(git('rev-list', '--count', 'main').trim()).toBe('15');
    expect(git('rev-list', '--merges', 'main').trim()).toBe('');
    // One root, every other commit has exactly one parent: the previous step.
    expect(git('rev-list', '--max-parents=0', 'main').trim().split('\n')).toHaveLength(1);
    expect(git('rev-list', '--count', '--min-parents=1', '--max-parents=1', 'main').trim()).toBe('14');
    expect(
      git('log', '--reverse', '--format=%(trailers:key=Request-Id,valueonly,separator=)', 'main')
        .trim()
        .split(/\n+/),
    ).toEqual(Array.from({ length: 15 }, (_, index) => `workflow-${index + 1}`));

    // Final versions per environment, read with git.
    const finalVersions: Record<string, Record<AppName, number | undefined>> = {
      dev: { cart: 1, checkout: 2, search: 1 },
      staging: { cart: 1, checkout: 1, search: 1 },
      'prod-ca': { cart: 1, checkout: 1, search: 1 },
      'prod-de': { cart: undefined, checkout: undefined, search: 1 },
      'prod-us': { cart: 1, checkout: 1, search: 1 },
    };
    for (const [environment, expected] of Object.entries(finalVersions))
      expectVersions(environment, expected);
    expect(
      git('ls-tree', '-r', '--name-only', 'main', 'environments/')
        .split('\n')
        .filter((path) => path.endsWith('/queued_version')),
    ).toEqual([]);
  });
});
