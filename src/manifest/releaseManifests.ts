// Release manifests are read lazily: a snapshot lists every release, and the manifests of a
// release (which environments it has one for, and their blob ids) are read only when a request
// needs them. A release tree is content-addressed, so what it holds never changes: once read, its
// manifests stay with the release, and the snapshot holding it stays as it was.
import { CorruptRepoError } from '../domain/errors.js';
import { parseReleaseNumber } from '../domain/names.js';
import { invalidName, notADirectory, notAFile } from '../planning/layout.js';
import type { Release, Snapshot } from '../planning/model.js';
import type { ObjectLoader } from './objectLoader.js';
import { sortedMap } from './treeLayout.js';
import type { Tree, TreeEntry } from './treeParser.js';

/** A release as read from its tree: `manifests` is unknown (undefined) until `load` read it. */
class TreeRelease implements Release {
  #manifests: ReadonlyMap<string, string> | undefined;
  #loading: Promise<void> | undefined;

  constructor(
    readonly version: number,
    /** The release's tree, `applications/<app>/releases/<N>`. */
    readonly treeOid: string,
    /** Where the release is in the repo, named when its layout is broken. */
    readonly path: string,
  ) {}

  get manifests(): ReadonlyMap<string, string> | undefined {
    return this.#manifests;
  }

  /** Reads the manifests once: requests meanwhile share the read; one that failed is tried again. */
  load(loader: ObjectLoader): Promise<void> {
    if (this.#manifests !== undefined) return Promise.resolve();
    if (!this.#loading) {
      const loading = readManifests(loader, this).then((manifests) => {
        this.#manifests = manifests;
      });
      this.#loading = loading;
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
    }
    return this.#loading;
  }
}

/** Reads the manifests of the given releases, where not read yet (or being read). */
export async function loadReleases(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
): Promise<void> {
  const loads = new Set<Promise<void>>();
  for (const { app, version } of wanted) {
    const release = snapshot.applications.get(app)?.releases.get(version);
    // A release of a derived snapshot that is no TreeRelease was written by us, manifests and all.
    if (release instanceof TreeRelease && release.manifests === undefined) loads.add(release.load(loader));
  }
  await Promise.all(loads);
}

/** A release's manifests; a release whose layout is broken is corrupt as a whole (CorruptRepoError). */
async function readManifests(
  loader: ObjectLoader,
  release: TreeRelease,
): Promise<ReadonlyMap<string, string>> {
  const environmentsEntry = (await loader.tree(release.treeOid, release.path)).get('environments');
  const path = `${release.path}/environments`;
  if (environmentsEntry && environmentsEntry.kind !== 'tree') {
    throw new CorruptRepoError(path, notADirectory(environmentsEntry.kind));
  }
  const environmentsTree = environmentsEntry ? await loader.tree(environmentsEntry.oid, path) : new Map();
  const manifests = new Map<string, string>();
  await Promise.all(
    [...environmentsTree.values()].map(async (entry: TreeEntry) => {
      // No request can name such an environment, and no manifest is ever copied to one.
      if (invalidName('environment', entry.name)) return;
      const environmentPath = `${path}/${entry.name}`;
      if (entry.kind !== 'tree') throw new CorruptRepoError(environmentPath, notADirectory(entry.kind));
      const manifest = (await loader.tree(entry.oid, environmentPath)).get('manifests.yaml');
      if (!manifest) return;
      if (manifest.kind !== 'file') {
        throw new CorruptRepoError(`${environmentPath}/manifests.yaml`, notAFile(manifest.kind));
      }
      manifests.set(entry.name, manifest.oid);
    }),
  );
  return sortedMap(manifests);
}

/** The releases of an application's `releases` directory (`path`), manifests not read yet. */
export function releasesIn(
  releasesTree: Tree,
  path: string,
): { releases: ReadonlyMap<number, Release>; latestRelease: number | undefined } {
  const releases = new Map<number, Release>();
  let latestRelease: number | undefined;
  for (const entry of releasesTree.values()) {
    // Only a directory with a numeric name is a release; anything else is ignored (manifest-repo.md).
    const version = entry.kind === 'tree' ? parseReleaseNumber(entry.name) : undefined;
    if (version === undefined) continue;
    releases.set(version, new TreeRelease(version, entry.oid, `${path}/${entry.name}`));
    if (latestRelease === undefined || version > latestRelease) latestRelease = version;
  }
  return { releases, latestRelease };
}
