// The service reads a snapshot once and then keeps it current: after its own writes it derives
// the next snapshot from the plan, after an outside commit it re-reads only the subtrees that
// changed. Either way the snapshot must equal a fresh full read of the commit.
import { afterEach, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import type { ManifestRepository } from '../../src/manifest/repository.js';
import type { Lock, Readable, Snapshot } from '../../src/planning/model.js';
import { WORLD } from '../http/world.js';
import { base64, type Harness, startHarness } from '../support/appHarness.js';
import { layoutFiles } from '../support/layout.js';
import { readSnapshotWithLsTree } from '../support/lsTreeSnapshot.js';

let harness: Harness;
afterEach(async () => harness?.close());

/** Plain data of a snapshot, every release's manifests included, for deep equality. */
async function plain(repo: ManifestRepository, snapshot: Snapshot): Promise<unknown> {
  await repo.loadAllReleases(snapshot);
  const readable = <T>(value: Readable<T>, map: (inner: T) => unknown) =>
    value.ok ? { ok: true, value: map(value.value) } : value;
  const locks = (value: ReadonlyMap<string, Lock>) => Object.fromEntries(value);
  return {
    commitId: snapshot.commitId,
    environments: [...snapshot.environments.values()].map((environment) => ({
      name: environment.name,
      config: environment.config,
      locks: readable(environment.locks, locks),
      teamLocks: [...environment.teamLocks].map(([team, value]) => [team, readable(value, locks)]),
      applications: [...environment.applications].map(([app, state]) => ({
        app,
        deployedVersion: state.deployedVersion,
        queuedVersion: state.queuedVersion,
        locks: readable(state.locks, locks),
        deploymentRecord: state.deploymentRecord,
      })),
    })),
    applications: [...snapshot.applications.values()].map((application) => ({
      name: application.name,
      team: application.team,
      latestRelease: application.latestRelease,
      releases: [...application.releases.values()].map((release) => ({
        version: release.version,
        manifests: Object.fromEntries(release.manifests ?? []),
      })),
    })),
    problems: snapshot.problems,
  };
}

async function expectEqualsFullRead(): Promise<void> {
  const tip = harness.fixture.tip();
  const kept = await harness.repo.snapshot(tip);
  const objects = new CatFileBatch(harness.fixture.path);
  try {
    const full = await readSnapshotWithLsTree(harness.fixture.path, objects, tip);
    expect(await plain(harness.repo, kept)).toEqual(await plain(harness.repo, full));
  } finally {
    objects.close();
  }
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
    await expectEqualsFullRead();
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
      await expectEqualsFullRead();
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
    await expectEqualsFullRead();
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
