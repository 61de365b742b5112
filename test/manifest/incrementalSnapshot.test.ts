// The service reads a snapshot once and then keeps it current: after its own writes it derives
// the next snapshot from the plan, after an outside commit it re-reads only the subtrees that
// changed. Either way the snapshot must equal a fresh full read of the commit.
import { afterEach, describe, expect, it } from 'vitest';
import { WORLD } from '../http/world.js';
import { base64, type Harness, startHarness } from '../support/appHarness.js';
import { layoutFiles } from '../support/layout.js';
import { expectTipSnapshotEqualsFullRead, fullRead, overviewOf } from '../support/snapshotEquality.js';

let harness: Harness;
afterEach(async () => harness?.close());

/** `kept`: after a commit of the service, whose snapshot it keeps without a read at request time. */
async function expectEqualsFullRead(options: { kept?: boolean; context?: string } = {}): Promise<void> {
  await expectTipSnapshotEqualsFullRead(harness.repo, harness.fixture.path, options);
}

const headers = { 'author-name': base64('Ana'), 'author-email': base64('ana@example.com') };

describe('the snapshot after a write of the service', () => {
  it('is derived without reading the repo, and equals a fresh full read', async () => {
    harness = await startHarness(WORLD);
    await harness.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    const readsBefore = harness.repo.objectsRead;
    const train = await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers,
    });
    expect(train.json().commitId).toBe(harness.fixture.tip());
    await harness.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
    // Only the manifests of the releases the train deployed were read; nothing after the commit.
    expect(harness.repo.objectsRead - readsBefore).toBeLessThan(20);
    await expectEqualsFullRead({ kept: true });
  });

  it('stays equal to a full read through locks, environments, releases and deployments', async () => {
    harness = await startHarness(WORLD);
    const json = (payload: unknown) => ({
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    const steps = [
      {
        method: 'PUT',
        url: '/api/environments/staging/locks/hold',
        ...json({ message: 'wait', ciLink: 'https://ci.example.com/1' }),
      },
      {
        method: 'PUT',
        url: '/api/environments/prod-ca/applications/checkout/locks/mine',
        ...json({ message: 'mine', suggestedLifetime: '2h' }),
      },
      { method: 'PUT', url: '/api/environments/dev/teams/shop/locks/audit', ...json({ message: 'audit' }) },
      { method: 'PUT', url: '/api/environment-groups/prod/locks/xmas', ...json({ message: 'freeze' }) },
      { method: 'DELETE', url: '/api/environment-groups/prod/locks/xmas', headers },
      // A timed lock, then the same lock without its bounds: the bound files go.
      {
        method: 'PUT',
        url: '/api/environments/staging/locks/timed',
        ...json({
          message: 'later',
          validFrom: '2026-12-20T00:00:00+01:00',
          validUntil: '2027-01-02T00:00:00Z',
        }),
      },
      { method: 'PUT', url: '/api/environments/staging/locks/timed', ...json({ message: 'now' }) },
      {
        method: 'POST',
        url: '/api/environments/prod-de',
        ...json({
          upstream: { environment: 'staging' },
          environmentGroup: 'prod',
          deployWindows: [{ days: ['mon'], start: '09:00', end: '16:00', timeZone: 'Europe/Berlin' }],
        }),
      },
      {
        method: 'POST',
        url: '/api/environments/qa',
        ...json({ upstream: { environment: 'staging' }, environmentGroup: 'test', argocd: { x: 1 } }),
      },
      {
        method: 'POST',
        url: '/api/environments/prod-jp',
        ...json({ upstream: { environment: 'staging' }, environmentGroup: 'prod' }),
      },
      {
        method: 'PUT',
        url: '/api/environments/prod-ca/applications/search/deployment',
        ...json({ version: 1, lockBehavior: 'ignore' }),
      },
      {
        method: 'PUT',
        url: '/api/environments/prod-ca/applications/checkout/deployment',
        ...json({ version: 3, lockBehavior: 'record' }),
      },
      { method: 'DELETE', url: '/api/environments/prod-ca/applications/checkout/locks/mine', headers },
      { method: 'PUT', url: '/api/environments/qa/releasetrain', headers },
    ] as const;
    for (const step of steps) {
      const response = await harness.app.inject(step);
      expect(response.statusCode, `${step.method} ${step.url}: ${response.body}`).toBeLessThan(300);
      await expectEqualsFullRead({ kept: true, context: `${step.method} ${step.url}` });
    }
    const form = [
      ['application', 'checkout'],
      ['team', 'shop'],
      ['manifests[dev]', 'kind: Deployment\n'],
      ['manifests[qa]', ''],
    ];
    const boundary = 'trainyard-boundary';
    const payload = `${form.map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('')}--${boundary}--\r\n`;
    const release = await harness.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(release.statusCode).toBe(201);
    await expectEqualsFullRead({ kept: true });
  });
});

describe('the snapshot after a write that deletes (git keeps no empty directories)', () => {
  const put = (url: string) => ({
    method: 'PUT' as const,
    url,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ message: 'hold' }),
  });
  const del = (url: string) => ({ method: 'DELETE' as const, url, headers });
  async function run(...steps: ReturnType<typeof put | typeof del>[]): Promise<void> {
    for (const step of steps) {
      const response = await harness.app.inject(step);
      expect(response.statusCode, `${step.method} ${step.url}: ${response.body}`).toBeLessThan(300);
      await expectEqualsFullRead({ kept: true, context: `${step.method} ${step.url}` });
    }
  }
  const overviewApps = async (environment: string) => {
    const overview = (await harness.app.inject({ url: '/api/overview' })).json();
    const environments = overview.environmentGroups.flatMap(
      (group: { environments: unknown[] }) => group.environments,
    );
    return Object.keys(
      environments.find((entry: { name: string }) => entry.name === environment).applications,
    );
  };

  it('drops an app whose only lock was removed, in an environment it never ran in', async () => {
    harness = await startHarness(WORLD);
    const url = '/api/environments/prod-ca/applications/billing/locks/ghost';
    await run(put(url));
    expect(await overviewApps('prod-ca')).toContain('billing');
    await run(del(url));
    expect(await overviewApps('prod-ca')).not.toContain('billing');
    // The prognosis does not see it either: billing does not exist in prod-ca.
    const prognosis = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    expect(prognosis.json().envsPrognoses['prod-ca'].appsPrognoses.prognoses.billing).toEqual({
      skipCause: 'TEAM_IS_LOCKED',
      teamLocks: expect.any(Array),
    });
  });

  it('keeps the app whose directory still holds files the snapshot does not model', async () => {
    harness = await startHarness({
      ...WORLD,
      'environments/prod-ca/applications/billing/notes.txt': 'kept\n',
    });
    const url = '/api/environments/prod-ca/applications/billing/locks/ghost';
    await run(put(url), del(url));
    expect(await overviewApps('prod-ca')).toContain('billing');
  });

  it("drops a team's entry with its last lock", async () => {
    harness = await startHarness(WORLD);
    await run(
      put('/api/environments/dev/teams/shop/locks/one'),
      put('/api/environments/dev/teams/shop/locks/two'),
      del('/api/environments/dev/teams/shop/locks/one'),
      del('/api/environments/dev/teams/shop/locks/two'),
      del('/api/environments/prod-ca/teams/payments/locks/audit'),
    );
  });

  it('drops an environment whose directory held nothing but the lock removed', async () => {
    harness = await startHarness({
      ...WORLD,
      ...layoutFiles({
        environments: { bare: { locks: { only: {} } }, 'bare-app': { appLocks: { docs: { only: {} } } } },
      }),
    });
    await run(
      del('/api/environments/bare/locks/only'),
      del('/api/environments/bare-app/applications/docs/locks/only'),
    );
    const names = (await harness.app.inject({ url: '/api/overview' }))
      .json()
      .environmentGroups.map((group: { environmentGroupName: string }) => group.environmentGroupName);
    expect(names).not.toContain('bare');
    expect(names).not.toContain('bare-app');
    expect((await harness.app.inject(del('/api/environments/bare/locks/only'))).statusCode).toBe(404);
  });

  it('replaces a lock in place, and keeps what a lock directory holds besides its fields out', async () => {
    harness = await startHarness({ ...WORLD, 'environments/prod-de/locks/xmas/notes.txt': 'from outside\n' });
    await run(put('/api/environments/prod-de/locks/xmas'), put('/api/environment-groups/prod/locks/xmas'));
  });

  it('equals a fresh read in the overview too', async () => {
    harness = await startHarness(WORLD);
    await run(
      put('/api/environments/prod-jp/applications/search/locks/hold'),
      del('/api/environments/prod-jp/applications/search/locks/hold'),
    );
    const overview = (await harness.app.inject({ url: '/api/overview' })).json();
    const fresh = await overviewOf(harness.repo, await fullRead(harness.fixture.path, harness.fixture.tip()));
    expect(overview).toEqual(fresh);
  });
});

describe('the snapshot after an outside commit', () => {
  it('re-reads only what changed, and equals a fresh full read', async () => {
    harness = await startHarness(WORLD);
    await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    const readsBefore = harness.repo.objectsRead;
    harness.fixture.commit({
      ...layoutFiles({ environments: { 'prod-ca': { locks: { outside: { message: 'made with git' } } } } }),
      'applications/docs/team': 'writers',
    });
    await harness.repo.readTipSnapshot();
    // The root, the two top trees, prod-ca's tree and its new lock, docs' app tree and team file.
    expect(harness.repo.objectsRead - readsBefore).toBeLessThan(20);
    await expectEqualsFullRead();
  });

  it('after a train of the service, re-reads only the outside change', async () => {
    harness = await startHarness(WORLD);
    await harness.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain', headers });
    // Bring the fixture's work tree to the service's commit, then commit on top of it with git.
    harness.fixture.git(['reset', '--quiet', '--hard', 'main']);
    harness.fixture.commit(
      layoutFiles({ environments: { 'prod-ca': { locks: { outside: { message: 'by hand' } } } } }),
    );
    const readsBefore = harness.repo.objectsRead;
    await harness.repo.readTipSnapshot();
    expect(harness.repo.objectsRead - readsBefore).toBeLessThan(20);
    await expectEqualsFullRead();
  });

  it('handles removed and renamed environments and apps', async () => {
    harness = await startHarness(WORLD);
    await harness.repo.readTipSnapshot();
    harness.fixture.git(['mv', 'environments/prod-jp', 'environments/prod-kr']);
    harness.fixture.commit({}, { delete: ['environments/prod-us', 'applications/legacy'] });
    await harness.repo.readTipSnapshot();
    await expectEqualsFullRead();
  });
});
