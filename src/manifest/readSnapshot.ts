// A full read of one commit, every release's manifests included: for tools and tests. The
// service itself reads lazily through ManifestRepository.
import type { Snapshot } from '../planning/model.js';
import type { CatFileBatch } from './catFileBatch.js';
import { SnapshotReader } from './snapshotReader.js';

export async function readSnapshot(objects: CatFileBatch, commitId: string | null): Promise<Snapshot> {
  const reader = new SnapshotReader(objects, await objectFormatOf(objects));
  const snapshot = await reader.read(commitId);
  await reader.loadAllReleases(snapshot);
  return snapshot;
}

/** sha1 or sha256: every sha1 repository knows the empty tree by its sha1 id. */
async function objectFormatOf(objects: CatFileBatch): Promise<'sha1' | 'sha256'> {
  const emptyTree = await objects.read('4b825dc642cb6eb9a060e54bf8d69288fbee4904', 0);
  return emptyTree ? 'sha1' : 'sha256';
}
