// Checks that the snapshot the service keeps for the branch tip (derived after its own commits,
// re-read incrementally after outside ones) equals an independent full read of the commit
// (`git ls-tree -r`), and that the overview users see equals the one built from that read.
import { expect } from 'vitest';
import { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import type { ManifestRepository } from '../../src/manifest/repository.js';
import type { Lock, Readable, Snapshot } from '../../src/planning/model.js';
import { buildOverview } from '../../src/services/overview.js';
import { FIXED_TIME } from './appHarness.js';
import { readSnapshotWithLsTree } from './lsTreeSnapshot.js';
import { loadAllReleases } from './readSnapshot.js';

/** Plain data of a snapshot, every release's manifests included, for deep equality. */
export async function plainSnapshot(repo: ManifestRepository, snapshot: Snapshot): Promise<unknown> {
  await loadAllReleases(repo, snapshot);
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
      // Keyed by number, in no meaningful order (git lists them by name: 1, 10, 2).
      releases: [...application.releases.values()]
        .sort((a, b) => a.version - b.version)
        .map((release) => ({
          version: release.version,
          manifests: Object.fromEntries(release.manifests ?? []),
          undeploy: release.undeploy,
        })),
    })),
    problems: snapshot.problems,
  };
}

/**
 * The commit read in full with `git ls-tree -r`, independent of the service's reader. `objects`:
 * a reader of the repo's objects to use (a caller reading many commits keeps one), else one of its own.
 */
export async function fullRead(
  repoPath: string,
  commitId: string | null,
  objects?: CatFileBatch,
): Promise<Snapshot> {
  if (objects) return readSnapshotWithLsTree(repoPath, objects, commitId);
  const own = new CatFileBatch(repoPath);
  try {
    return await readSnapshotWithLsTree(repoPath, own, commitId);
  } finally {
    own.close();
  }
}

/**
 * The snapshot the service keeps for the tip equals a full read of it. `kept`: the snapshot must
 * be one the service holds already (no object is read to answer it), as after its own commit.
 */
export async function expectTipSnapshotEqualsFullRead(
  repo: ManifestRepository,
  repoPath: string,
  options: { kept?: boolean; context?: string; objects?: CatFileBatch } = {},
): Promise<Snapshot> {
  const tip = await repo.readTip();
  const readsBefore = repo.objectsRead;
  const snapshot = await repo.snapshot(tip);
  if (options.kept) {
    expect(repo.objectsRead - readsBefore, `${options.context ?? ''}: the tip's snapshot was not kept`).toBe(
      0,
    );
  }
  const full = await fullRead(repoPath, tip, options.objects);
  expect(await plainSnapshot(repo, snapshot), options.context).toEqual(await plainSnapshot(repo, full));
  return full;
}

/**
 * The overview of a snapshot at `now` (the harness's clock), with the deployment records it
 * shows read from the repo.
 */
export async function overviewOf(
  repo: ManifestRepository,
  snapshot: Snapshot,
  now: Date = FIXED_TIME,
): Promise<unknown> {
  const blobs: string[] = [];
  for (const environment of snapshot.environments.values()) {
    for (const app of environment.applications.values()) {
      const { deployedBy, deployedByEmail, deployedAt } = app.deploymentRecord;
      for (const oid of [deployedBy, deployedByEmail, deployedAt]) if (oid) blobs.push(oid);
    }
  }
  return buildOverview(snapshot, await repo.readMetadataTexts(blobs), now);
}
