// GET /api/history (security.md "Audit"): the writes of the API, read back from the git log.
import { describe, expect, it } from 'vitest';
import { base64, FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { COMMITTER, expectError } from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';

const start = harnessPerWorld();

const ENVS = ['dev', 'staging', 'prod'];

const HISTORY_WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ENVS } },
    search: { team: 'discovery', releases: { 1: ENVS } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 1, search: 1 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1, search: 1 } },
    prod: { config: { upstream: { environment: 'staging' } } },
  },
});

const ANA = { name: 'Ana Lima', email: 'ana@example.com' };
const BO = { name: 'Bö Ström', email: 'bo@example.com' };
const FIXTURE_AUTHOR = { name: 'Fixture Author', email: 'fixture@example.com' };
const SERVICE = { name: 'Trainyard', email: 'trainyard@trainyard.invalid' };

const headers = (who: { name: string; email: string }, requestId: string) => ({
  'author-name': base64(who.name),
  'author-email': base64(who.email),
  'x-request-id': requestId,
});

const BOUNDARY = '----trainyard-history-test';

function releaseForm(fields: Record<string, string>): { payload: string; contentType: string } {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    payload: `${parts.join('')}--${BOUNDARY}--\r\n`,
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
  };
}

interface Written {
  /** Newest first, like the history. */
  readonly commits: string[];
  readonly fixture: string;
}

/** One write of every kind through the API, then a commit made with plain git. */
async function writeEverything(h: Harness): Promise<Written> {
  const fixture = h.fixture.tip();
  const commits: string[] = [];
  const expectCommitted = (response: { statusCode: number; body: string }, status = 200) => {
    expect(response.statusCode, response.body).toBe(status);
    const tip = h.fixture.tip();
    expect(commits).not.toContain(tip);
    commits.unshift(tip);
  };

  expectCommitted(
    await h.app.inject({
      method: 'POST',
      url: '/api/environments/qa',
      headers: headers(ANA, 'req-env'),
      payload: { upstream: { environment: 'staging' } },
    }),
    201,
  );
  expectCommitted(
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/locks/freeze',
      headers: headers(ANA, 'req-lock'),
      payload: { message: 'freeze', ciLink: 'https://ci.example.com/lock' },
    }),
  );
  expectCommitted(
    await h.app.inject({
      method: 'DELETE',
      url: '/api/environments/staging/locks/freeze',
      headers: headers(BO, 'req-unlock'),
    }),
    204,
  );
  const form = releaseForm({
    application: 'checkout',
    'manifests[dev]': 'dev: 2\n',
    'manifests[staging]': 'staging: 2\n',
    'manifests[prod]': 'prod: 2\n',
    ci_link: 'https://ci.example.com/release',
  });
  expectCommitted(
    await h.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { ...headers(ANA, 'req-release'), 'content-type': form.contentType },
      payload: form.payload,
    }),
    201,
  );
  expectCommitted(
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: headers(BO, 'req-train'),
      payload: { ciLink: 'https://ci.example.com/train' },
    }),
  );
  expectCommitted(
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod/applications/search/deployment',
      headers: headers(ANA, 'req-deploy'),
      payload: { version: 1, lockBehavior: 'fail' },
    }),
  );
  expectCommitted(
    await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/teams/shop/locks/audit',
      headers: headers(BO, 'req-team-lock'),
      payload: { message: 'audit' },
    }),
  );
  // A commit made with git, outside the service (its work tree first catches up with the branch).
  h.fixture.git(['reset', '--quiet', '--hard', 'main']);
  commits.unshift(
    h.fixture.commit(
      { 'environments/prod/locks/by-hand/message': 'made with git' },
      { message: 'Lock prod by hand\n\nRequest-Id: not-ours' },
    ),
  );
  return { commits, fixture };
}

async function history(h: Harness, query = '') {
  const response = await h.app.inject({ url: `/api/history${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().entries as Record<string, unknown>[];
}

const ids = (entries: Record<string, unknown>[]) => entries.map((entry) => entry.commitId);

describe('GET /api/history', () => {
  it('lists every write of the API newest first: kind, summary, who, when, request id and CI link', async () => {
    const h = await start(HISTORY_WORLD);
    const { commits, fixture } = await writeEverything(h);
    const entries = await history(h);
    expect(ids(entries)).toEqual([...commits, fixture]);
    const time = FIXED_TIME.toISOString();
    const [outside, teamLock, deployment, train, release, unlock, lock, environment, initial] = entries;
    expect(outside).toEqual({
      commitId: commits[0],
      kind: 'other',
      summary: 'Lock prod by hand',
      author: FIXTURE_AUTHOR,
      committer: FIXTURE_AUTHOR,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      requestId: 'not-ours',
    });
    expect(teamLock).toEqual({
      commitId: commits[1],
      kind: 'lock',
      summary: 'Created lock "audit" on team "shop" in environment "staging"',
      author: BO,
      committer: SERVICE,
      time,
      requestId: 'req-team-lock',
    });
    expect(deployment).toEqual({
      commitId: commits[2],
      kind: 'deployment',
      summary: 'deployed version 1 of "search" to "prod"',
      author: ANA,
      committer: SERVICE,
      time,
      requestId: 'req-deploy',
    });
    expect(train).toEqual({
      commitId: commits[3],
      kind: 'train',
      summary: "Release Train to environment/environment group 'staging':",
      author: BO,
      committer: SERVICE,
      time,
      requestId: 'req-train',
      ciLink: 'https://ci.example.com/train',
    });
    expect(release).toEqual({
      commitId: commits[4],
      kind: 'release',
      summary: 'created version 2 of "checkout"',
      author: ANA,
      committer: SERVICE,
      time,
      requestId: 'req-release',
      ciLink: 'https://ci.example.com/release',
    });
    expect(unlock).toMatchObject({
      kind: 'lock',
      summary: 'Deleted lock "freeze" on environment "staging"',
      author: BO,
      requestId: 'req-unlock',
    });
    expect(unlock).not.toHaveProperty('ciLink');
    expect(lock).toMatchObject({
      kind: 'lock',
      summary: 'Created lock "freeze" on environment "staging"',
      author: ANA,
      requestId: 'req-lock',
      ciLink: 'https://ci.example.com/lock',
    });
    expect(environment).toMatchObject({
      kind: 'environment',
      summary: 'Created environment "qa"',
      author: ANA,
      committer: SERVICE,
      requestId: 'req-env',
    });
    expect(initial).toMatchObject({ kind: 'other', summary: 'fixture', author: FIXTURE_AUTHOR });
    expect(initial).not.toHaveProperty('requestId');
    // The committer line the service wrote is what the history shows.
    expect(h.fixture.git(['log', '-1', '--format=%cn <%ce>', commits[1] as string]).trim()).toBe(COMMITTER);
  });

  it('filters by environment: exactly the commits that touch it', async () => {
    const h = await start(HISTORY_WORLD);
    const { commits, fixture } = await writeEverything(h);
    const [outside, teamLock, deployment, train, release, unlock, lock, environment] = commits;
    expect(ids(await history(h, '?environment=staging'))).toEqual([teamLock, train, unlock, lock, fixture]);
    expect(ids(await history(h, '?environment=prod'))).toEqual([outside, deployment, fixture]);
    // The release deployed itself to dev (upstream latest).
    expect(ids(await history(h, '?environment=dev'))).toEqual([release, fixture]);
    expect(ids(await history(h, '?environment=qa'))).toEqual([environment]);
    expect(await history(h, '?environment=nowhere')).toEqual([]);
  });

  it('filters by application: its releases, and its deployments, locks and trains in every environment', async () => {
    const h = await start(HISTORY_WORLD);
    const { commits, fixture } = await writeEverything(h);
    const [, , deployment, train, release] = commits;
    expect(ids(await history(h, '?application=checkout'))).toEqual([train, release, fixture]);
    expect(ids(await history(h, '?application=search'))).toEqual([deployment, fixture]);
    expect(await history(h, '?application=nothing')).toEqual([]);
  });

  it('filters by both: the app in that environment, with the environment and team locks there', async () => {
    const h = await start(HISTORY_WORLD);
    const { commits, fixture } = await writeEverything(h);
    const [outside, teamLock, deployment, train, release, unlock, lock] = commits;
    // The team lock is on shop, checkout's team; search is discovery's.
    expect(ids(await history(h, '?environment=staging&application=checkout'))).toEqual([
      teamLock,
      train,
      unlock,
      lock,
      fixture,
    ]);
    expect(ids(await history(h, '?environment=staging&application=search'))).toEqual([unlock, lock, fixture]);
    expect(ids(await history(h, '?environment=dev&application=checkout'))).toEqual([release, fixture]);
    // The lock made with git is an environment lock on prod.
    expect(ids(await history(h, '?environment=prod&application=search'))).toEqual([outside, deployment]);
    expect(ids(await history(h, '?environment=prod&application=checkout'))).toEqual([outside]);
    expect(await history(h, '?environment=qa&application=checkout')).toEqual([]);
  });

  it('gives at most limit entries, the newest; 50 by default', async () => {
    const h = await start(HISTORY_WORLD);
    const { commits, fixture } = await writeEverything(h);
    expect(ids(await history(h, '?limit=1'))).toEqual(commits.slice(0, 1));
    expect(ids(await history(h, '?limit=3'))).toEqual(commits.slice(0, 3));
    expect(ids(await history(h, '?limit=2&environment=staging'))).toEqual([commits[1], commits[3]]);
    expect(ids(await history(h, '?limit=1000'))).toEqual([...commits, fixture]);
    for (let index = 0; index < 50; index += 1) {
      h.fixture.commit(
        { 'environments/dev/locks/many/message': String(index) },
        { message: `edit ${index}` },
      );
    }
    const all = await history(h);
    expect(all).toHaveLength(50);
    expect(all[0]).toMatchObject({ summary: 'edit 49', kind: 'other' });
    // 9 commits before, 50 now: fewer than the limit is all of them.
    expect(await history(h, '?limit=60')).toHaveLength(59);
  });

  it('reads outside commits with odd subjects and trailers as they are', async () => {
    const h = await start(HISTORY_WORLD);
    const odd = h.fixture.commit(
      { 'environments/dev/locks/odd/message': 'odd' },
      {
        message:
          'deployed by hand \x1e with a record separator\n\nRequest-Id: first\nRequest-Id: second\nCi-Link: https://ci.example.com/odd',
      },
    );
    h.fixture.git(['config', 'user.name', 'Ünï Cödé']);
    const lookalike = h.fixture.commit(
      { 'environments/dev/locks/odd/message': 'odder' },
      { message: 'Release Trains are fun' },
    );
    // The harness is the world's for the next test too.
    h.fixture.git(['config', 'user.name', 'Fixture Author']);
    const [newest, older] = await history(h, '?limit=2');
    expect(newest).toMatchObject({ commitId: lookalike, kind: 'other', author: { name: 'Ünï Cödé' } });
    expect(older).toMatchObject({
      commitId: odd,
      kind: 'other',
      summary: 'deployed by hand \x1e with a record separator',
      requestId: 'first',
      ciLink: 'https://ci.example.com/odd',
    });
  });

  it('refuses an unknown query parameter naming it (`env` would otherwise list every commit unfiltered)', async () => {
    const h = await start(HISTORY_WORLD);
    const body = expectError(await h.app.inject({ url: '/api/history?env=staging' }), 400, 'INVALID_INPUT');
    expect(body.message).toContain("'env'");
    expect(body.message).toContain('environment, application, limit');
  });

  it('is empty for a branch without commits', async () => {
    const h = await start({});
    expect(await history(h)).toEqual([]);
    expect(await history(h, '?environment=dev&application=checkout&limit=5')).toEqual([]);
  });

  const badQueries: [string, string][] = [
    ['an environment name with capitals', '?environment=Staging'],
    ['an environment name with a slash', '?environment=dev%2F..'],
    ['an environment name that is a pathspec', '?environment=%3A(glob)*'],
    ['an environment name that is an option', '?environment=--all'],
    ['an environment name too long', `?environment=${'a'.repeat(64)}`],
    ['an empty environment name', '?environment='],
    ['an application name with a glob', '?application=check*'],
    ['an application name too long', `?application=${'a'.repeat(71)}`],
    ['limit 0', '?limit=0'],
    ['limit 1001', '?limit=1001'],
    ['a limit that is not a number', '?limit=ten'],
    ['a fractional limit', '?limit=1.5'],
    ['a negative limit', '?limit=-1'],
    ['an empty limit', '?limit='],
    ['limit given twice', '?limit=1&limit=2'],
    ['environment given twice', '?environment=dev&environment=prod'],
    ['application given twice', '?application=checkout&application=checkout'],
  ];
  for (const [what, query] of badQueries) {
    it(`refuses ${what} with 400 INVALID_INPUT`, async () => {
      const h = await start(HISTORY_WORLD);
      expectError(await h.app.inject({ url: `/api/history${query}` }), 400, 'INVALID_INPUT');
    });
  }

  it('says which query parameter was repeated', async () => {
    const h = await start(HISTORY_WORLD);
    const body = expectError(
      await h.app.inject({ url: '/api/history?limit=1&limit=2' }),
      400,
      'INVALID_INPUT',
    );
    expect(body.message).toContain("'limit'");
  });
});
