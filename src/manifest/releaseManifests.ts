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
import { type Tree, type TreeEntry, UnreadableTreeError } from './treeParser.js';

/** What is read of a release: whether it is an undeploy version, and (when asked) its manifests. */
interface ReleaseContents {
  readonly undeploy: boolean;
  readonly manifests: ReadonlyMap<string, string> | undefined;
}

/**
 * A release as read from its tree: `manifests` and `undeploy` are unknown (undefined) until a
 * read of its manifests (or of its marker alone, for `undeploy`) filled them in.
 */
class TreeRelease implements Release {
  #manifests: ReadonlyMap<string, string> | undefined;
  #undeploy: boolean | undefined;
  /** The read under way, shared by the requests meanwhile; one that failed is tried again. */
  #reading: { readonly withManifests: boolean; readonly done: Promise<void> } | undefined;

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

  /** Whether what is asked (the manifests and the marker, or the marker alone) is still unknown. */
  needs(withManifests: boolean): boolean {
    return withManifests ? this.#manifests === undefined : this.#undeploy === undefined;
  }

  /** The read under way that answers what is asked, if any. */
  readingFor(withManifests: boolean): Promise<void> | undefined {
    const reading = this.#reading;
    return reading && (reading.withManifests || !withManifests) ? reading.done : undefined;
  }

  /** Keeps what `read` answers, and shares it with the requests that ask meanwhile. */
  startReading(withManifests: boolean, read: Promise<ReleaseContents>): Promise<void> {
    const done = read.then(({ undeploy, manifests }) => {
      this.#undeploy = undeploy;
      if (manifests) this.#manifests = manifests;
    });
    const reading = { withManifests, done };
    this.#reading = reading;
    const finished = () => {
      if (this.#reading === reading) this.#reading = undefined;
    };
    done.then(finished, finished);
    return done;
  }
}

/** Reads the manifests of the given releases, where not read yet (or being read). */
export function loadReleases(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
): Promise<void> {
  // A release of a derived snapshot that is no TreeRelease was written by us, manifests and all.
  return loadEach(loader, snapshot, wanted, true);
}

/** Reads whether the given releases are undeploy versions, where not known yet. */
export function loadUndeployMarkers(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
): Promise<void> {
  return loadEach(loader, snapshot, wanted, false);
}

/** Reads each wanted release read from a tree once however often it is wanted, all of them together. */
async function loadEach(
  loader: ObjectLoader,
  snapshot: Snapshot,
  wanted: Iterable<{ app: string; version: number }>,
  withManifests: boolean,
): Promise<void> {
  const loads = new Set<Promise<void>>();
  const unread = new Set<TreeRelease>();
  for (const { app, version } of wanted) {
    const release = snapshot.applications.get(app)?.releases.get(version);
    if (!(release instanceof TreeRelease) || !release.needs(withManifests)) continue;
    const reading = release.readingFor(withManifests);
    if (reading) loads.add(reading);
    else unread.add(release);
  }
  if (unread.size > 0) {
    const releases = [...unread];
    const read = readReleases(loader, releases, withManifests);
    releases.forEach((release, index) => {
      const contents = read.then((all) => {
        const result = all[index] as ReleaseContents | CorruptRepoError;
        if (result instanceof CorruptRepoError) throw result;
        return result;
      });
      loads.add(release.startReading(withManifests, contents));
    });
  }
  await Promise.all(loads);
}

/**
 * Releases' markers and (`withManifests`) manifests, in three batched round trips however many
 * releases there are (their trees, their `environments` trees, one tree per environment) rather
 * than a promise chain per release: a cold prognosis at Kuberpult scale reads 1,000 releases of
 * 34 trees each. A release whose layout is broken is its CorruptRepoError; a missing object (an
 * I/O error) fails them all.
 */
async function readReleases(
  loader: ObjectLoader,
  releases: readonly TreeRelease[],
  withManifests: boolean,
): Promise<(ReleaseContents | CorruptRepoError)[]> {
  const trees = await loader.trees(releases.map(({ treeOid, path }) => ({ oid: treeOid, path })));
  const broken = new Map<number, CorruptRepoError>();
  const markers = await Promise.all(
    releases.map(async (release, index) => {
      const tree = trees[index] as Tree | UnreadableTreeError;
      if (tree instanceof UnreadableTreeError) return void broken.set(index, tree);
      try {
        return await readUndeployMarker(
          loader,
          tree.get(UNDEPLOY_MARKER),
          `${release.path}/${UNDEPLOY_MARKER}`,
        );
      } catch (error) {
        if (!(error instanceof CorruptRepoError)) throw error;
        broken.set(index, error);
      }
    }),
  );
  const manifests = withManifests ? await readManifests(loader, releases, trees, broken) : undefined;
  return releases.map(
    (_, index) => broken.get(index) ?? { undeploy: markers[index] === true, manifests: manifests?.[index] },
  );
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

/** The manifests of each release not `broken` yet: blob ids by environment, sorted. */
async function readManifests(
  loader: ObjectLoader,
  releases: readonly TreeRelease[],
  trees: readonly (Tree | UnreadableTreeError)[],
  broken: Map<number, CorruptRepoError>,
): Promise<ReadonlyMap<string, string>[]> {
  const environmentsTrees: { release: number; oid: string; path: string }[] = [];
  releases.forEach((release, index) => {
    const tree = trees[index];
    const entry = tree instanceof UnreadableTreeError ? undefined : tree?.get('environments');
    if (broken.has(index) || !entry) return;
    const path = `${release.path}/environments`;
    if (entry.kind !== 'tree') broken.set(index, new CorruptRepoError(path, notADirectory(entry.kind)));
    else environmentsTrees.push({ release: index, oid: entry.oid, path });
  });
  const environmentTrees: { release: number; environment: string; oid: string; path: string }[] = [];
  for (const [index, tree] of (await loader.trees(environmentsTrees)).entries()) {
    const { release, path } = environmentsTrees[index] as (typeof environmentsTrees)[number];
    if (tree instanceof UnreadableTreeError) {
      broken.set(release, tree);
      continue;
    }
    for (const entry of tree.values()) {
      // No request can name such an environment, and no manifest is ever copied to one.
      if (invalidName('environment', entry.name)) continue;
      const environmentPath = `${path}/${entry.name}`;
      if (entry.kind !== 'tree') {
        broken.set(release, new CorruptRepoError(environmentPath, notADirectory(entry.kind)));
        break;
      }
      environmentTrees.push({ release, environment: entry.name, oid: entry.oid, path: environmentPath });
    }
  }
  const manifests = releases.map(() => new Map<string, string>());
  for (const [index, tree] of (await loader.trees(environmentTrees)).entries()) {
    const { release, environment, path } = environmentTrees[index] as (typeof environmentTrees)[number];
    if (broken.has(release)) continue;
    if (tree instanceof UnreadableTreeError) {
      broken.set(release, tree);
      continue;
    }
    const manifest = tree.get('manifests.yaml');
    if (!manifest) continue;
    if (manifest.kind !== 'file') {
      broken.set(release, new CorruptRepoError(`${path}/manifests.yaml`, notAFile(manifest.kind)));
      continue;
    }
    (manifests[release] as Map<string, string>).set(environment, manifest.oid);
  }
  return manifests.map(sortedMap);
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
