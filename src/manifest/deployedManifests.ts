// The manifests deployed now (`environments/<env>/applications/<app>/manifests/manifests.yaml`),
// for the manifest diffs of a prognosis (plans.md): read on demand, bounded, with the layout
// checked. The snapshot does not hold them, since nothing else needs them.
import { CorruptRepoError } from '../domain/errors.js';
import { notAFile } from '../planning/layout.js';
import type { CatFileBatch } from './catFileBatch.js';
import type { BlobText } from './objectLoader.js';
import { parseTree } from './treeParser.js';

/** A `manifests` directory holds one file, maybe a few more: a larger tree is a corrupt repo. */
const MANIFESTS_TREE_MAX_BYTES = 64 * 1024;

/**
 * The text of `<directory>/manifests/manifests.yaml` at a commit for each app directory
 * (`environments/<env>/applications/<app>`), each at most `maxBytes` (else its size), in two round
 * trips; an app without one (not deployed there, or deployed without a manifest) is left out.
 * CorruptRepoError when `manifests` is no directory or `manifests.yaml` no file.
 */
export async function readDeployedManifests(
  objects: CatFileBatch,
  hashBytes: number,
  commitId: string,
  directories: readonly string[],
  maxBytes: number,
): Promise<Map<string, BlobText>> {
  const trees = await objects.readMany(
    directories.map((directory) => ({
      name: `${commitId}:${directory}/manifests`,
      maxBytes: MANIFESTS_TREE_MAX_BYTES,
    })),
  );
  const blobs: { directory: string; oid: string }[] = [];
  directories.forEach((directory, index) => {
    const tree = trees[index];
    if (!tree) return;
    const path = `${directory}/manifests`;
    if (tree.type !== 'tree') {
      throw new CorruptRepoError(
        path,
        `must be a directory, not ${tree.type === 'blob' ? 'a file' : `a ${tree.type}`}`,
      );
    }
    if (tree.oversized) {
      throw new CorruptRepoError(
        path,
        `git tree of ${tree.size} bytes, more than the ${MANIFESTS_TREE_MAX_BYTES} bytes a manifests directory may have`,
      );
    }
    const entry = parseTree(tree.content, hashBytes, path).get('manifests.yaml');
    if (!entry) return;
    if (entry.kind !== 'file') throw new CorruptRepoError(`${path}/manifests.yaml`, notAFile(entry.kind));
    blobs.push({ directory, oid: entry.oid });
  });
  const contents = await objects.readMany(blobs.map(({ oid }) => ({ name: oid, maxBytes })));
  const texts = new Map<string, BlobText>();
  blobs.forEach(({ directory, oid }, index) => {
    const blob = contents[index];
    // Named by its tree a moment ago: a missing object is git's own corruption, an I/O error.
    if (!blob) throw new Error(`git object ${oid} is missing`);
    texts.set(
      directory,
      blob.oversized ? { ok: false, size: blob.size } : { ok: true, text: blob.content.toString('utf8') },
    );
  });
  return texts;
}
