// A full read of one commit through the service's own reader, every release's manifests
// included: what tests compare with. The service itself reads lazily (ManifestRepository).
import type { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import { readObjectFormat } from '../../src/manifest/git.js';
import type { RepositoryReader } from '../../src/manifest/repository.js';
import { SnapshotReader } from '../../src/manifest/snapshotReader.js';
import type { Snapshot } from '../../src/planning/model.js';

export async function readSnapshot(objects: CatFileBatch, commitId: string | null): Promise<Snapshot> {
  const reader = new SnapshotReader(objects, await readObjectFormat(objects.repoPath));
  const snapshot = await reader.read(commitId);
  await reader.loadReleases(snapshot, everyRelease(snapshot));
  return snapshot;
}

/** Reads the manifests of every release of the snapshot (a full read). */
export async function loadAllReleases(repo: RepositoryReader, snapshot: Snapshot): Promise<Snapshot> {
  await repo.loadReleases(snapshot, everyRelease(snapshot));
  return snapshot;
}

function everyRelease(snapshot: Snapshot): { app: string; version: number }[] {
  return [...snapshot.applications.values()].flatMap((application) =>
    [...application.releases.keys()].map((version) => ({ app: application.name, version })),
  );
}
