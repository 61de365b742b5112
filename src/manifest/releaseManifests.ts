// Release manifests are read lazily: a snapshot lists every release, and the manifests of a
// release (which environments it has one for, and their blob ids) are read only when a request
// needs them; so is its undeploy marker (one tree read, without the manifests, for the overview).
// A release tree is content-addressed, so what it holds never changes: once read, its manifests
// and marker stay with the release, and the snapshot holding it stays as it was.
import { CorruptRepoError } from '../domain/errors.js';
import { parseReleaseNumber } from '../domain/names.js';
import {
  invalidName,
  METADATA_MAX_BYTES,
  notADirectory,
  notAFile,
  tooLarge,
  UNDEPLOY_MARKER,
} from '../planning/layout.js';
import type { Release, Snapshot } from '../planning/model.js';
import type { ObjectLoader } from './objectLoader.js';
import { sortedMap } from './treeLayout.js';
import type { Tree, TreeEntry } from './treeParser.js';

/**
 * A release as read from its tree: `manifests` and `undeploy` are unknown (undefined) until `load`
 * (or `loadMarker`, for `undeploy` alone) read them.
 */
class TreeRelease implements Release {
  #manifests: ReadonlyMap<string, string> | undefined;
  #undeploy: boolean | undefined;
  #loading: Promise<void> | undefined;
  #loadingMarker: Promise<void> | undefined;

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

  get undeploy(): boolean | undefined {
    return this.#undeploy;
  }

  /** Reads the manifests and the marker once: requests meanwhile share the read; one that failed is tried again. */
  load(loader: ObjectLoader): Promise<void> {
    if (this.#manifests !== undefined) return Promise.resolve();
    this.#loading ??= retriedWhenFailed(
      readRelease(loader, this, true).then(({ manifests, undeploy }) => {
        this.#undeploy = undeploy;
        this.#manifests = manifests;
      }),
      (failed) => {
        if (this.#loading === failed) this.#loading = undefined;
      },
    );
    return this.#loading;
  }

  /** Reads only whether it is an undeploy version (its own tree, not its manifests). */
  loadMarker(loader: ObjectLoader): Promise<void> {
    if (this.#undeploy !== undefined) return Promise.resolve();
    if (this.#loading) return this.#loading;
    this.#loadingMarker ??= retriedWhenFailed(
      readRelease(loader, this, false).then(({ undeploy }) => {
        this.#undeploy = undeploy;
      }),
      (failed) => {
        if (this.#loadingMarker === failed) this.#loadingMarker = undefined;
      },
    );
    return this.#loadingMarker;
  }
}

/** `loading`, with `forget` called when it fails (so that the next request reads again). */
function retriedWhenFailed(loading: Promise<void>, forget: (failed: Promise<void>) => void): Promise<void> {
  loading.catch(() => forget(loading));
  return loading;
}

/** Reads the manifests of the given releases, where not read yet (or being read). */
export function loadReleases(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
): Promise<void> {
  // A release of a derived snapshot that is no TreeRelease was written by us, manifests and all.
  return loadEach(snapshot, wanted, (release) =>
    release.manifests === undefined ? release.load(loader) : undefined,
  );
}

/** Reads whether the given releases are undeploy versions, where not known yet. */
export function loadUndeployMarkers(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
): Promise<void> {
  return loadEach(snapshot, wanted, (release) =>
    release.undeploy === undefined ? release.loadMarker(loader) : undefined,
  );
}

/** `load` of each wanted release read from a tree, each read once however often it is wanted. */
async function loadEach(
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
  load: (release: TreeRelease) => Promise<void> | undefined,
): Promise<void> {
  const loads = new Set<Promise<void>>();
  for (const { app, version } of wanted) {
    const release = snapshot.applications.get(app)?.releases.get(version);
    const loading = release instanceof TreeRelease ? load(release) : undefined;
    if (loading) loads.add(loading);
  }
  await Promise.all(loads);
}

/**
 * A release's marker and (`withManifests`) its manifests; a release whose layout is broken is
 * corrupt as a whole (CorruptRepoError).
 */
async function readRelease(
  loader: ObjectLoader,
  release: TreeRelease,
  withManifests: boolean,
): Promise<{ undeploy: boolean; manifests: ReadonlyMap<string, string> | undefined }> {
  const tree = await loader.tree(release.treeOid, release.path);
  const [undeploy, manifests] = await Promise.all([
    readUndeployMarker(loader, tree.get(UNDEPLOY_MARKER), `${release.path}/${UNDEPLOY_MARKER}`),
    withManifests ? readManifests(loader, release, tree) : undefined,
  ]);
  return { undeploy, manifests };
}

/** The marker is a file, with the bound of every other file of a release (its content is not used). */
async function readUndeployMarker(
  loader: ObjectLoader,
  entry: TreeEntry | undefined,
  file: string,
): Promise<boolean> {
  if (!entry) return false;
  if (entry.kind !== 'file') throw new CorruptRepoError(file, notAFile(entry.kind));
  const text = await loader.text(entry.oid, METADATA_MAX_BYTES);
  if (!text.ok) throw new CorruptRepoError(file, tooLarge(text.size, METADATA_MAX_BYTES));
  return true;
}

async function readManifests(
  loader: ObjectLoader,
  release: TreeRelease,
  releaseTree: Tree,
): Promise<ReadonlyMap<string, string>> {
  const environmentsEntry = releaseTree.get('environments');
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
