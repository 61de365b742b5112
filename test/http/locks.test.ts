// Locks of all four kinds, on both of Kuberpult's paths of each (http-api.md "Locks",
// manifest-repo.md lock files, release-train.md "Releases and locks that trains depend on").
import { describe, expect, it } from 'vitest';
import { FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import type { FixtureFiles } from '../support/gitFixture.js';
import {
  AUTHOR,
  AUTHOR_HEADERS,
  DEFAULT_AUTHOR,
  expectError,
  expectOneCommit,
} from '../support/httpExpectations.js';
import { LOCK_DEFAULTS, layoutFiles } from '../support/layout.js';

const start = harnessPerWorld();

const CREATED_AT = FIXED_TIME.toISOString();

/** The files of a directory at the tip, relative to it, sorted. */
function filesUnder(h: Harness, directory: string): string[] {
  return [...h.fixture.filesUnder(directory).keys()];
}

const ALL = ['dev', 'staging', 'prod-de', 'prod-fr'];

// staging takes dev: checkout would be deployed (2), the others are already there.
const LOCK_WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ALL, 2: ALL } },
    search: { team: 'discovery', releases: { 1: ALL } },
    docs: { releases: { 1: ALL } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2, search: 1, docs: 1 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1, search: 1, docs: 1 } },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
    'prod-fr': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
  },
});

type LockView = Record<string, unknown>;

interface LockKind {
  readonly kind: 'environment' | 'application' | 'team' | 'group';
  /** Both paths, without the lock id. */
  readonly urls: readonly [string, string];
  /** The lock directories' parents the lock is written under. */
  readonly parents: readonly string[];
  /** What the lock id and lock look like in the fixture, to set up a lock that exists. */
  readonly fixture: (lockId: string) => FixtureFiles;
  readonly prognosisUrl: string;
  /** The part of the prognosis that the lock decides. */
  readonly prognosis: (envsPrognoses: Record<string, Record<string, unknown>>) => unknown;
  readonly expectedPrognosis: (lockId: string, view: LockView) => unknown;
}

const stagingApps = (envs: Record<string, Record<string, unknown>>) =>
  (envs.staging!.appsPrognoses as { prognoses: Record<string, unknown> }).prognoses.checkout;

const KINDS: readonly LockKind[] = [
  {
    kind: 'environment',
    urls: ['/api/environments/staging/locks', '/environments/staging/locks'],
    parents: ['environments/staging/locks'],
    fixture: (lockId) => layoutFiles({ environments: { staging: { locks: { [lockId]: {} } } } }),
    prognosisUrl: '/api/environments/staging/releasetrain/prognosis',
    prognosis: (envs) => envs.staging,
    expectedPrognosis: (lockId, view) => ({ skipCause: 'ENV_IS_LOCKED', envLocks: { [lockId]: view } }),
  },
  {
    kind: 'application',
    urls: [
      '/api/environments/staging/applications/checkout/locks',
      '/environments/staging/applications/checkout/locks',
    ],
    parents: ['environments/staging/applications/checkout/locks'],
    fixture: (lockId) =>
      layoutFiles({ environments: { staging: { appLocks: { checkout: { [lockId]: {} } } } } }),
    prognosisUrl: '/api/environments/staging/releasetrain/prognosis',
    prognosis: stagingApps,
    expectedPrognosis: (_lockId, view) => ({ skipCause: 'APP_IS_LOCKED', appLocks: [view] }),
  },
  {
    kind: 'team',
    urls: ['/api/environments/staging/teams/shop/locks', '/api/environments/staging/lock/team/shop'],
    parents: ['environments/staging/teams/shop/locks'],
    fixture: (lockId) =>
      layoutFiles({ environments: { staging: { teamLocks: { shop: { [lockId]: {} } } } } }),
    prognosisUrl: '/api/environments/staging/releasetrain/prognosis',
    prognosis: stagingApps,
    expectedPrognosis: (_lockId, view) => ({ skipCause: 'TEAM_IS_LOCKED', teamLocks: [view] }),
  },
  {
    kind: 'group',
    urls: ['/api/environment-groups/prod/locks', '/environment-groups/prod/locks'],
    parents: ['environments/prod-de/locks', 'environments/prod-fr/locks'],
    fixture: (lockId) =>
      layoutFiles({
        environments: { 'prod-de': { locks: { [lockId]: {} } }, 'prod-fr': { locks: { [lockId]: {} } } },
      }),
    prognosisUrl: '/api/environment-groups/prod/releasetrain/prognosis',
    prognosis: (envs) => envs,
    expectedPrognosis: (lockId, view) => ({
      'prod-de': { skipCause: 'ENV_IS_LOCKED', envLocks: { [lockId]: view } },
      'prod-fr': { skipCause: 'ENV_IS_LOCKED', envLocks: { [lockId]: view } },
    }),
  },
];

const FIXTURE_LOCK_VIEW = (lockId: string) => ({
  lockId,
  message: LOCK_DEFAULTS.message,
  createdAt: LOCK_DEFAULTS.createdAt,
  createdBy: { name: LOCK_DEFAULTS.createdByName, email: LOCK_DEFAULTS.createdByEmail },
});

function multipart(boundary: string, fields: Record<string, string>): string {
  return `${Object.entries(fields)
    .map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    )
    .join('')}--${boundary}--\r\n`;
}

for (const lockKind of KINDS) {
  for (const base of lockKind.urls) {
    describe(`${lockKind.kind} lock on ${base}/{lockId}`, () => {
      it('PUT creates the lock: 200 with the lock, the lock files byte for byte, one commit', async () => {
        const h = await start(LOCK_WORLD);
        const before = h.fixture.tip();
        const message = 'Zoë says: no deploys\nuntil the audit is done ✓';
        const response = await h.app.inject({
          method: 'PUT',
          url: `${base}/audit-2026`,
          headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-create-1' },
          payload: { message, ciLink: 'https://ci.example.com/runs/7?x=1', suggestedLifetime: '2d' },
        });

        expect(response.statusCode, response.body).toBe(200);
        const view = {
          lockId: 'audit-2026',
          message,
          createdAt: CREATED_AT,
          createdBy: AUTHOR,
          ciLink: 'https://ci.example.com/runs/7?x=1',
          suggestedLifetime: '2d',
        };
        // The answer says whether it blocks now; the prognosis shows Kuberpult's lock shape.
        expect(response.json()).toEqual({ ...view, inForce: true });
        expect(response.headers['content-type']).toMatch(/^application\/json/);

        expectOneCommit(h, before, 'req-create-1');
        expect(
          h.fixture.git(['log', '-1', '--format=%(trailers:key=Ci-Link,valueonly)', 'main']).trim(),
        ).toBe('https://ci.example.com/runs/7?x=1');
        const written: string[] = [];
        for (const parent of lockKind.parents) {
          const directory = `${parent}/audit-2026`;
          // Every file of the lock, byte for byte, each a plain file.
          const file = (content: string) => ({ mode: '100644 blob', content });
          const files = h.fixture.filesUnder(directory);
          expect(Object.fromEntries(files)).toEqual({
            ci_link: file('https://ci.example.com/runs/7?x=1'),
            created_at: file(CREATED_AT),
            created_by_email: file(AUTHOR.email),
            created_by_name: file(AUTHOR.name),
            message: file(message),
            suggested_lifetime: file('2d'),
          });
          expect([...files.keys()]).toEqual([
            'ci_link',
            'created_at',
            'created_by_email',
            'created_by_name',
            'message',
            'suggested_lifetime',
          ]);
          written.push(...[...files.keys()].map((name) => `${directory}/${name}`));
        }
        // Nothing but the lock files changed.
        expect(h.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n')).toEqual(
          written.sort(),
        );

        // The lock shows up where a train would meet it.
        const prognosis = await h.app.inject({ url: lockKind.prognosisUrl });
        expect(prognosis.statusCode).toBe(200);
        expect(lockKind.prognosis(prognosis.json().envsPrognoses)).toEqual(
          lockKind.expectedPrognosis('audit-2026', view),
        );
      });

      it('PUT again replaces the lock: fields not given the second time are gone', async () => {
        const h = await start(LOCK_WORLD);
        const first = await h.app.inject({
          method: 'PUT',
          url: `${base}/freeze`,
          headers: AUTHOR_HEADERS,
          payload: { message: 'first', ciLink: 'https://ci.example.com/1', suggestedLifetime: '7d' },
        });
        expect(first.statusCode).toBe(200);
        const before = h.fixture.tip();

        // No author headers: the default identity.
        const second = await h.app.inject({
          method: 'PUT',
          url: `${base}/freeze`,
          headers: { 'x-request-id': 'req-replace' },
          payload: { message: 'second' },
        });
        expect(second.statusCode).toBe(200);
        expect(second.json()).toEqual({
          lockId: 'freeze',
          message: 'second',
          createdAt: CREATED_AT,
          createdBy: DEFAULT_AUTHOR,
          inForce: true,
        });
        expectOneCommit(h, before, 'req-replace', DEFAULT_AUTHOR);
        expect(
          h.fixture.git(['log', '-1', '--format=%(trailers:key=Ci-Link,valueonly)', 'main']).trim(),
        ).toBe('');
        for (const parent of lockKind.parents) {
          const files = h.fixture.filesUnder(`${parent}/freeze`);
          expect([...files.keys()]).toEqual(['created_at', 'created_by_email', 'created_by_name', 'message']);
          expect(files.get('message')?.content).toBe('second');
          expect(files.get('created_by_name')?.content).toBe(DEFAULT_AUTHOR.name);
          expect(files.get('created_by_email')?.content).toBe(DEFAULT_AUTHOR.email);
        }
      });

      it('DELETE removes the lock directory with one commit (204); a second DELETE is a 404', async () => {
        const h = await start({ ...LOCK_WORLD, ...lockKind.fixture('xmas') });
        const before = h.fixture.tip();
        const locked = await h.app.inject({ url: lockKind.prognosisUrl });
        expect(lockKind.prognosis(locked.json().envsPrognoses)).toEqual(
          lockKind.expectedPrognosis('xmas', FIXTURE_LOCK_VIEW('xmas')),
        );

        const response = await h.app.inject({
          method: 'DELETE',
          url: `${base}/xmas`,
          headers: { ...AUTHOR_HEADERS, 'x-request-id': 'req-delete' },
        });
        expect(response.statusCode).toBe(204);
        expect(response.body).toBe('');
        const tip = expectOneCommit(h, before, 'req-delete');
        for (const parent of lockKind.parents) {
          expect(filesUnder(h, `${parent}/xmas`)).toEqual([]);
        }
        const removed = h.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n');
        expect(
          removed.every((path) => lockKind.parents.some((parent) => path.startsWith(`${parent}/xmas/`))),
        ).toBe(true);
        expect(removed).toHaveLength(4 * lockKind.parents.length);

        const unlocked = await h.app.inject({ url: lockKind.prognosisUrl });
        expect(JSON.stringify(unlocked.json())).not.toContain('xmas');

        const again = await h.app.inject({ method: 'DELETE', url: `${base}/xmas` });
        const body = expectError(again, 404, 'LOCK_NOT_FOUND');
        expect(body.message).toContain('xmas');
        expect(h.fixture.tip()).toBe(tip);
      });

      it('refuses a body that is not application/json with 415 and writes nothing', async () => {
        const h = await start(LOCK_WORLD);
        const before = h.fixture.tip();
        for (const [contentType, payload] of [
          ['text/plain', '{"message":"x"}'],
          ['application/x-www-form-urlencoded', 'message=x'],
          ['application/xml', '<message>x</message>'],
        ] as const) {
          const response = await h.app.inject({
            method: 'PUT',
            url: `${base}/freeze`,
            headers: { 'content-type': contentType },
            payload,
          });
          expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
        }
        expect(h.fixture.tip()).toBe(before);
      });

      it('refuses invalid lock ids, bodies and ciLinks with 400 and writes nothing', async () => {
        const h = await start({ ...LOCK_WORLD, ...lockKind.fixture('xmas') });
        const before = h.fixture.tip();
        for (const lockId of ['.x', '-x', 'a', 'a'.repeat(100), 'a%2Fb', '..%2Fx', 'a%20b', 'x%0Ay']) {
          for (const method of ['PUT', 'DELETE'] as const) {
            const response = await h.app.inject({
              method,
              url: `${base}/${lockId}`,
              ...(method === 'PUT' ? { payload: { message: 'm' } } : {}),
            });
            const body = expectError(response, 400, 'INVALID_INPUT');
            expect(body.message, `${method} ${lockId}`).toContain('lock id');
          }
        }
        for (const ciLink of [
          'ci.example.com/1',
          '/runs/1',
          'ftp://ci.example.com/1',
          'javascript:alert(1)',
          'https://ci.example.com/1\nRequest-Id: forged',
          '',
        ]) {
          const response = await h.app.inject({
            method: 'PUT',
            url: `${base}/freeze`,
            payload: { message: 'm', ciLink },
          });
          expect(expectError(response, 400, 'INVALID_INPUT').message, ciLink).toContain('ciLink');
        }
        for (const payload of [
          {},
          { message: 7 },
          { message: 'm', suggestedLifetime: '2d\nRequest-Id: x' },
        ]) {
          const response = await h.app.inject({ method: 'PUT', url: `${base}/freeze`, payload });
          expectError(response, 400, 'INVALID_INPUT');
        }
        const invalidJson = await h.app.inject({
          method: 'PUT',
          url: `${base}/freeze`,
          headers: { 'content-type': 'application/json' },
          payload: '{"message": ',
        });
        expectError(invalidJson, 400, 'INVALID_JSON');
        expect(h.fixture.tip()).toBe(before);
      });
    });
  }
}

describe("Kuberpult's spelling suggestedLifeTime", () => {
  it('is taken as suggestedLifetime (kuberpult-client sends it so); both at once is a 400 writing nothing', async () => {
    const h = await start(LOCK_WORLD);
    const url = '/api/environments/dev/locks/freeze';
    const created = await h.app.inject({
      method: 'PUT',
      url,
      headers: AUTHOR_HEADERS,
      payload: { message: 'code freeze', suggestedLifeTime: '2d' },
    });
    expect(created.statusCode).toBe(200);
    expect(created.json().suggestedLifetime).toBe('2d');
    expect(h.fixture.show('environments/dev/locks/freeze/suggested_lifetime')).toBe('2d');
    const before = h.fixture.tip();
    const both = await h.app.inject({
      method: 'PUT',
      url,
      headers: AUTHOR_HEADERS,
      payload: { message: 'm', suggestedLifetime: '1d', suggestedLifeTime: '2d' },
    });
    expectError(both, 400, 'INVALID_INPUT');
    expect(h.fixture.tip()).toBe(before);
  });
});

describe('lock ids', () => {
  it('takes 2 to 99 characters of [A-Za-z0-9._-] not starting with . or -', async () => {
    const h = await start(LOCK_WORLD);
    for (const lockId of ['ab', '_x', 'A.b_c-1', '9.-', 'x'.repeat(99)]) {
      const response = await h.app.inject({
        method: 'PUT',
        url: `/api/environments/dev/locks/${lockId}`,
        payload: { message: lockId },
      });
      expect(response.statusCode, lockId).toBe(200);
      expect(response.json().lockId).toBe(lockId);
      expect(h.fixture.show(`environments/dev/locks/${lockId}/message`)).toBe(lockId);
    }
  });
});

describe('content types', () => {
  it('takes application/json with parameters and in any case; a body without a content type is a 415', async () => {
    const h = await start(LOCK_WORLD);
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON']) {
      const response = await h.app.inject({
        method: 'PUT',
        url: '/api/environments/dev/locks/freeze',
        headers: { 'content-type': contentType },
        payload: '{"message":"m"}',
      });
      expect(response.statusCode, contentType).toBe(200);
    }
    const before = h.fixture.tip();
    const untyped = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/dev/locks/other',
      payload: Buffer.from('{"message":"m"}'),
    });
    expectError(untyped, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(h.fixture.tip()).toBe(before);
  });
});

describe('a multipart body', () => {
  it('is refused with 415 on every lock path, and nothing is written', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    const boundary = '----trainyard-boundary-7';
    for (const { urls } of KINDS) {
      for (const base of urls) {
        const response = await h.app.inject({
          method: 'PUT',
          url: `${base}/freeze`,
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload: multipart(boundary, { message: 'x' }),
        });
        expect(h.fixture.tip()).toBe(before);
        expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
    }
  });
});

describe('a call that changes nothing', () => {
  it('PUT of the very same lock again makes no commit', async () => {
    const h = await start(LOCK_WORLD);
    for (const url of [
      '/api/environments/dev/locks/freeze',
      '/api/environments/dev/applications/checkout/locks/freeze',
      '/api/environments/dev/teams/shop/locks/freeze',
      '/api/environment-groups/prod/locks/freeze',
    ]) {
      const request = { method: 'PUT' as const, url, headers: AUTHOR_HEADERS, payload: { message: 'same' } };
      expect((await h.app.inject(request)).statusCode).toBe(200);
      const before = h.fixture.tip();
      const again = await h.app.inject(request);
      expect(again.statusCode).toBe(200);
      expect(h.fixture.git(['diff', '--name-only', before, 'main']).trim()).toBe('');
      expect(h.fixture.tip(), url).toBe(before);
    }
  });
});

describe('targets that do not exist', () => {
  it('answers 404 ENVIRONMENT_NOT_FOUND for an unknown environment on every environment path', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    for (const url of [
      '/api/environments/nowhere/locks/freeze',
      '/environments/nowhere/locks/freeze',
      '/api/environments/nowhere/applications/checkout/locks/freeze',
      '/environments/nowhere/applications/checkout/locks/freeze',
      '/api/environments/nowhere/teams/shop/locks/freeze',
      '/api/environments/nowhere/lock/team/shop/freeze',
    ]) {
      for (const method of ['PUT', 'DELETE'] as const) {
        const response = await h.app.inject({
          method,
          url,
          ...(method === 'PUT' ? { payload: { message: 'm' } } : {}),
        });
        const body = expectError(response, 404, 'ENVIRONMENT_NOT_FOUND');
        expect(body.message, `${method} ${url}`).toContain('nowhere');
      }
    }
    expect(h.fixture.tip()).toBe(before);
  });

  it('answers 404 for an unknown group, and for an environment name used as a group', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    for (const group of ['nowhere', 'staging']) {
      for (const url of [
        `/api/environment-groups/${group}/locks/freeze`,
        `/environment-groups/${group}/locks/freeze`,
      ]) {
        for (const method of ['PUT', 'DELETE'] as const) {
          const response = await h.app.inject({
            method,
            url,
            ...(method === 'PUT' ? { payload: { message: 'm' } } : {}),
          });
          expect(response.statusCode, `${method} ${url}`).toBe(404);
          expect(response.json().message).toContain(group);
        }
      }
    }
    expect(h.fixture.tip()).toBe(before);
  });

  it('answers 404 "Team \'<team>\' does not exist." for a team that no app has', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    for (const url of [
      '/api/environments/staging/teams/ghost/locks/freeze',
      '/api/environments/staging/lock/team/ghost/freeze',
    ]) {
      const response = await h.app.inject({ method: 'PUT', url, payload: { message: 'm' } });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ statusCode: 404, message: "Team 'ghost' does not exist." });
    }
    expect(h.fixture.tip()).toBe(before);
  });

  it('removes a team lock that outlived the last app of its team', async () => {
    const h = await start({
      ...LOCK_WORLD,
      ...layoutFiles({
        environments: { staging: { teamLocks: { ghost: { stale: { message: 'left over' } } } } },
      }),
    });
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/staging/teams/ghost/locks/stale',
    });
    expect(response.statusCode).toBe(204);
    expect(h.fixture.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');
    expect(h.fixture.modeOf('environments/staging/teams/ghost/locks/stale/message')).toBeUndefined();
  });

  it('answers 400 for invalid environment, application, team and group names', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    for (const url of [
      '/api/environments/Staging/locks/freeze',
      '/api/environments/..%2Fstaging/locks/freeze',
      '/api/environments/staging/applications/Checkout/locks/freeze',
      '/api/environments/staging/teams/shop_eu/locks/freeze',
      '/api/environments/staging/lock/team/-shop/freeze',
      '/api/environment-groups/prod%2F..%2Fx/locks/freeze',
    ]) {
      const response = await h.app.inject({ method: 'PUT', url, payload: { message: 'm' } });
      expectError(response, 400, 'INVALID_INPUT');
    }
    expect(h.fixture.tip()).toBe(before);
  });

  it('answers 405 for a lock path with another method', async () => {
    const h = await start(LOCK_WORLD);
    const response = await h.app.inject({ method: 'GET', url: '/api/environments/staging/locks/freeze' });
    expectError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('PUT, DELETE');
  });
});

describe('environment group locks', () => {
  it('are one environment lock per environment of the group, in one commit; the lock is removable per environment', async () => {
    const h = await start(LOCK_WORLD);
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/locks/release-freeze',
      headers: AUTHOR_HEADERS,
      payload: { message: 'end of year' },
    });
    expect(response.statusCode).toBe(200);
    expectOneCommit(h, before, response.headers['x-request-id'] as string);
    // Environments outside the group are untouched.
    expect(filesUnder(h, 'environments/dev/locks')).toEqual([]);
    expect(filesUnder(h, 'environments/staging/locks')).toEqual([]);

    // It is an ordinary environment lock in each environment.
    const one = await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/prod-de/locks/release-freeze',
    });
    expect(one.statusCode).toBe(204);
    expect(filesUnder(h, 'environments/prod-de/locks/release-freeze')).toEqual([]);
    expect(filesUnder(h, 'environments/prod-fr/locks/release-freeze')).toHaveLength(4);

    // Deleting the group lock removes what is left of it.
    const tip = h.fixture.tip();
    const rest = await h.app.inject({
      method: 'DELETE',
      url: '/environment-groups/prod/locks/release-freeze',
    });
    expect(rest.statusCode).toBe(204);
    expectOneCommit(h, tip, rest.headers['x-request-id'] as string, DEFAULT_AUTHOR);
    expect(filesUnder(h, 'environments/prod-fr/locks/release-freeze')).toEqual([]);
  });

  it('takes every environment whose config names the group, and only those', async () => {
    const h = await start({
      ...LOCK_WORLD,
      ...layoutFiles({
        environments: {
          'prod-us': { config: { environmentGroup: 'prod', argocd: { x: 1 } } },
          'prod-jp': { config: { environmentGroup: 'prod-asia' } },
        },
      }),
    });
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/locks/freeze',
      payload: { message: 'm' },
    });
    expect(response.statusCode).toBe(200);
    expectOneCommit(h, before, response.headers['x-request-id'] as string, DEFAULT_AUTHOR);
    const changed = h.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n');
    const environments = [...new Set(changed.map((path) => path.split('/')[1]))];
    expect(environments).toEqual(['prod-de', 'prod-fr', 'prod-us']);
  });
});

describe('removing a lock', () => {
  // checkout: queued 1 == deployed 1 (the lock held back nothing that is still to do);
  // cart: queued 2 != deployed 1 (a deployment the lock held back).
  const queues = { deployed: { checkout: 1, cart: 1 }, queued: { checkout: 1, cart: 2 } };
  const QUEUE_WORLD = layoutFiles({
    apps: {
      checkout: { team: 'shop', releases: { 1: ALL, 2: ALL } },
      cart: { team: 'shop', releases: { 1: ALL, 2: ALL } },
    },
    environments: {
      dev: { config: { upstream: { latest: true } } },
      staging: {
        config: { upstream: { environment: 'dev' } },
        ...queues,
        locks: { freeze: {} },
        appLocks: { checkout: { freeze: {} }, cart: { freeze: {} } },
        teamLocks: { shop: { freeze: {} } },
      },
      'prod-de': { config: { environmentGroup: 'prod' }, ...queues, locks: { freeze: {} } },
      'prod-fr': { config: { environmentGroup: 'prod' }, ...queues, locks: { freeze: {} } },
    },
  });

  const cases: { kind: string; deletes: string[]; environments: string[] }[] = [
    { kind: 'environment', deletes: ['/api/environments/staging/locks/freeze'], environments: ['staging'] },
    {
      kind: 'application',
      deletes: [
        '/api/environments/staging/applications/checkout/locks/freeze',
        '/environments/staging/applications/cart/locks/freeze',
      ],
      environments: ['staging'],
    },
    { kind: 'team', deletes: ['/api/environments/staging/lock/team/shop/freeze'], environments: ['staging'] },
    {
      kind: 'group',
      deletes: ['/api/environment-groups/prod/locks/freeze'],
      environments: ['prod-de', 'prod-fr'],
    },
  ];

  for (const { kind, deletes, environments } of cases) {
    it(`(${kind}) deploys nothing, removes a queued_version equal to the deployed version, keeps another`, async () => {
      const h = await start(QUEUE_WORLD);
      const before = h.fixture.tip();
      for (const url of deletes) {
        const tip = h.fixture.tip();
        const response = await h.app.inject({ method: 'DELETE', url });
        expect(response.statusCode, url).toBe(204);
        expectOneCommit(h, tip, response.headers['x-request-id'] as string, DEFAULT_AUTHOR);
      }
      const changed = h.fixture.git(['diff', '--name-only', before, 'main']).trim().split('\n');
      const notLockFiles = changed.filter((path) => !path.includes('/locks/'));
      expect(notLockFiles).toEqual(
        environments.map((environment) => `environments/${environment}/applications/checkout/queued_version`),
      );
      for (const environment of environments) {
        const apps = h.fixture.filesUnder(`environments/${environment}/applications`);
        expect(apps.get('checkout/queued_version')).toBeUndefined();
        expect(apps.get('checkout/version')?.content).toBe('../../../../applications/checkout/releases/1');
        expect(apps.get('cart/queued_version')).toEqual({
          mode: '120000 blob',
          content: '../../../../applications/cart/releases/2',
        });
        expect(apps.get('cart/version')?.content).toBe('../../../../applications/cart/releases/1');
        expect(apps.get('cart/deployed_by')?.content).toBe('Fixture Author');
      }
    });
  }
});
