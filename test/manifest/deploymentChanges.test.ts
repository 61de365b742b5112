// The files a deployment writes (manifest-repo.md, "Writing rules"), byte for byte after the
// commit, in a real temporary git repo.
import { afterAll, describe, expect, it } from 'vitest';
import type { ManifestRepository } from '../../src/manifest/repository.js';
import { deploymentChanges } from '../../src/planning/deploymentChanges.js';
import type { Snapshot } from '../../src/planning/model.js';
import { createFixtureRepo, removeAllFixtures } from '../support/gitFixture.js';
import { layoutFiles } from '../support/layout.js';
import { loadAllReleases } from '../support/readSnapshot.js';
import { blobBytes, closeAll, committed, gitText, ok, openAdapter } from './support.js';

afterAll(async () => {
  await closeAll();
  await removeAllFixtures();
});

const DEPLOYER = { name: 'Ana Lima', email: 'ana@example.com' };
const TIME = new Date('2026-11-20T09:30:15.789Z');
const APP_PATH = 'environments/development/applications/checkout';

async function deploymentFixture() {
  const fixture = await createFixtureRepo({
    ...layoutFiles({
      environments: {
        development: {
          config: { upstream: { latest: true } },
          deployed: { checkout: 1 },
          queued: { checkout: 3 },
        },
        staging: { config: { upstream: { environment: 'development' } } },
      },
      apps: {
        checkout: { releases: { 1: ['development'], 2: ['development', 'staging'], 3: ['development'] } },
      },
    }),
    // Release 4 has an empty manifest for development.
    'applications/checkout/releases/4/environments/development/manifests.yaml': '',
    'applications/checkout/releases/4/created_at': '2026-11-01T00:00:00Z',
  });
  const repo = openAdapter(fixture.path);
  const snapshot = await loadAllReleases(repo, await repo.readTipSnapshot());
  return { fixture, repo, snapshot };
}

/** Plans the deployment from the snapshot, as the train does, and commits it. */
async function deploy(
  repo: ManifestRepository,
  snapshot: Snapshot,
  environment: string,
  app: string,
  version: number,
): Promise<string> {
  const manifestBlobId = snapshot.applications.get(app)!.releases.get(version)!.manifests!.get(environment)!;
  const changes = deploymentChanges(
    snapshot,
    { environment, app, version, manifest: { blobId: manifestBlobId } },
    { deployer: DEPLOYER, time: TIME, emptyBlobId: await repo.emptyBlobId() },
  );
  return committed(
    await repo.commit({
      parent: snapshot.commitId,
      changes,
      message: `deploy ${app} ${version} to ${environment}`,
      author: DEPLOYER,
      time: TIME,
    }),
  );
}

describe('deploymentChanges', () => {
  it('writes the version symlink ../../../../applications/<app>/releases/<N>', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 2);
    expect(fixture.modeOf(`${APP_PATH}/version`, commitId)).toBe('120000 blob');
    expect(blobBytes(fixture.path, commitId, `${APP_PATH}/version`)).toEqual(
      Buffer.from('../../../../applications/checkout/releases/2'),
    );
  });

  it('copies the release manifest for the environment to manifests/manifests.yaml, byte for byte', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 2);
    const release = 'applications/checkout/releases/2/environments/development/manifests.yaml';
    const copy = `${APP_PATH}/manifests/manifests.yaml`;
    expect(blobBytes(fixture.path, commitId, copy)).toEqual(blobBytes(fixture.path, commitId, release));
    expect(gitText(fixture.path, ['rev-parse', `${commitId}:${copy}`])).toBe(
      gitText(fixture.path, ['rev-parse', `${commitId}:${release}`]),
    );
    expect(fixture.modeOf(copy, commitId)).toBe('100644 blob');
  });

  it('writes a single space as manifests.yaml when the release’s manifest is empty', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    expect(snapshot.applications.get('checkout')!.releases.get(4)!.manifests!.get('development')).toBe(
      await repo.emptyBlobId(),
    );
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 4);
    expect(blobBytes(fixture.path, commitId, `${APP_PATH}/manifests/manifests.yaml`)).toEqual(
      Buffer.from(' '),
    );
    expect(
      ok(
        (await repo.readTipSnapshot()).environments.get('development')!.applications.get('checkout')!
          .deployedVersion,
      ),
    ).toBe(4);
  });

  it('writes deployed_by, deployed_by_email and deployed_at_utc (ISO 8601 UTC)', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 2);
    expect(blobBytes(fixture.path, commitId, `${APP_PATH}/deployed_by`).toString('utf8')).toBe('Ana Lima');
    expect(blobBytes(fixture.path, commitId, `${APP_PATH}/deployed_by_email`).toString('utf8')).toBe(
      'ana@example.com',
    );
    const deployedAt = blobBytes(fixture.path, commitId, `${APP_PATH}/deployed_at_utc`).toString('utf8');
    expect(deployedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(new Date(deployedAt).getTime()).toBe(TIME.getTime());
  });

  it('removes the queued_version of the app in that environment', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    expect(fixture.modeOf(`${APP_PATH}/queued_version`)).toBe('120000 blob');
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 3);
    expect(fixture.modeOf(`${APP_PATH}/queued_version`, commitId)).toBeUndefined();
    const app = (await repo.readTipSnapshot()).environments.get('development')!.applications.get('checkout')!;
    expect(ok(app.deployedVersion)).toBe(3);
    expect(ok(app.queuedVersion)).toBeUndefined();
  });

  it('removes a corrupt queued_version too', async () => {
    const { fixture, repo } = await deploymentFixture();
    fixture.commit({ [`${APP_PATH}/queued_version`]: { symlink: '/etc/passwd' } });
    const snapshot = await loadAllReleases(repo, await repo.readTipSnapshot());
    expect(snapshot.environments.get('development')!.applications.get('checkout')!.queuedVersion.ok).toBe(
      false,
    );
    const commitId = await deploy(repo, snapshot, 'development', 'checkout', 2);
    expect(fixture.modeOf(`${APP_PATH}/queued_version`, commitId)).toBeUndefined();
  });

  it('deploys an app to an environment it was never in, and touches nothing outside its directory', async () => {
    const { fixture, repo, snapshot } = await deploymentFixture();
    const changes = deploymentChanges(
      snapshot,
      {
        environment: 'staging',
        app: 'checkout',
        version: 2,
        manifest: {
          blobId: snapshot.applications.get('checkout')!.releases.get(2)!.manifests!.get('staging')!,
        },
      },
      { deployer: DEPLOYER, time: TIME, emptyBlobId: await repo.emptyBlobId() },
    );
    expect(changes.some((change) => change.kind === 'delete')).toBe(false);
    const commitId = await deploy(repo, snapshot, 'staging', 'checkout', 2);
    const changed = gitText(fixture.path, ['diff', '--name-status', `${commitId}^`, commitId])
      .split('\n')
      .sort();
    expect(changed).toEqual([
      'A\tenvironments/staging/applications/checkout/deployed_at_utc',
      'A\tenvironments/staging/applications/checkout/deployed_by',
      'A\tenvironments/staging/applications/checkout/deployed_by_email',
      'A\tenvironments/staging/applications/checkout/manifests/manifests.yaml',
      'A\tenvironments/staging/applications/checkout/version',
    ]);
    const staging = (await repo.readTipSnapshot()).environments.get('staging')!;
    expect(ok(staging.applications.get('checkout')!.deployedVersion)).toBe(2);
    expect(
      blobBytes(
        fixture.path,
        commitId,
        'environments/staging/applications/checkout/manifests/manifests.yaml',
      ),
    ).toEqual(
      blobBytes(
        fixture.path,
        commitId,
        'applications/checkout/releases/2/environments/staging/manifests.yaml',
      ),
    );
  });
});
