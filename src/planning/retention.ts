// Release retention (lifecycle.md "Release retention"): a commit that deploys an app also removes
// that app's releases below the kept range. Sort the app's release numbers; d is the smallest
// version deployed in any environment after the commit (the newest release if none); every release
// >= d is kept, and the `releasesKept - 1` just below d; a queued version never goes.
// Pure: the snapshot plus what the same commit writes.
import { CorruptRepoError } from '../domain/errors.js';
import type { TreeChange } from './changes.js';
import type { Readable, Snapshot } from './model.js';
import { compareNames } from './readable.js';

/** RELEASES_KEPT: the default, and the range a configuration may choose from. */
export const RELEASES_KEPT_DEFAULT = 20;
export const RELEASES_KEPT_MIN = 5;
export const RELEASES_KEPT_MAX = 1000;

export interface VersionWrite {
  readonly environment: string;
  readonly app: string;
  readonly version: number;
}

/** What one commit does to versions: retention judges the repo as it is after it. */
export interface CommitVersionWrites {
  /** Deployments (each also removes a queued_version of its app in its environment). */
  readonly deployed: readonly VersionWrite[];
  /** queued_version symlinks written. */
  readonly queued?: readonly VersionWrite[];
  /** Releases created (the snapshot does not have them yet). */
  readonly created?: readonly { readonly app: string; readonly version: number }[];
}

export interface RemovedRelease {
  readonly app: string;
  readonly version: number;
}

export interface ReleaseCleanup {
  /** By app name, then version, ascending. */
  readonly removed: readonly RemovedRelease[];
  /** One delete of `applications/<app>/releases/<N>` per removed release. */
  readonly changes: readonly TreeChange[];
  /** `removed version <N> of app <A> as cleanup`, one per removed release (Kuberpult's words). */
  readonly messageLines: readonly string[];
}

/** What the rule sees of one app after the commit. */
interface AppVersions {
  /** Ascending. */
  readonly releases: readonly number[];
  readonly deployed: readonly number[];
  readonly queued: ReadonlySet<number>;
}

/** The outcome of the rule for one app: what goes, and the oldest release it keeps. */
export interface AppRetention {
  readonly removed: readonly number[];
  readonly oldestKept: number | undefined;
}

/** The rule itself, on plain numbers. */
export function retainReleases(
  { releases, deployed, queued }: AppVersions,
  releasesKept: number,
): AppRetention {
  const oldest = releases[0];
  // d is a release (a deployed version links to one), so at least releasesKept stay.
  if (releases.length <= releasesKept) return { removed: [], oldestKept: oldest };
  let smallestDeployed = releases[releases.length - 1] as number;
  if (deployed.length > 0) smallestDeployed = Math.min(...deployed);
  const firstKept = Math.max(0, firstAtLeast(releases, smallestDeployed) - (releasesKept - 1));
  const removed: number[] = [];
  for (let index = 0; index < firstKept; index++) {
    const version = releases[index] as number;
    if (!queued.has(version)) removed.push(version);
  }
  return { removed, oldestKept: releases[firstKept] };
}

/** The index of the first element >= value in an ascending list (its length when none). */
function firstAtLeast(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The cleanup a commit that deploys does, once per app it deploys (not once per deployment). An
 * app whose state somewhere cannot be read (a corrupt symlink, an environment that cannot be
 * modelled) keeps its releases: housekeeping never fails a deployment, and never guesses.
 */
export function cleanupAfterDeployments(
  snapshot: Snapshot,
  writes: CommitVersionWrites,
  releasesKept: number,
): ReleaseCleanup {
  if (writes.deployed.length === 0 || hidesEnvironments(snapshot)) return NO_CLEANUP;
  const byApp = writesByApp(writes);
  const removed: RemovedRelease[] = [];
  for (const app of [...byApp.keys()].sort(compareNames)) {
    const appWrites = byApp.get(app) as AppWrites;
    if (appWrites.deployed.size === 0) continue;
    const versions = appVersionsAfter(snapshot, app, appWrites, 'lenient');
    if (!versions) continue;
    for (const version of retainReleases(versions, releasesKept).removed) removed.push({ app, version });
  }
  return cleanupOf(removed);
}

/**
 * The cleanup of every app at once (POST /api/releases/cleanup), as their next deployments would
 * do it. Data it cannot read is an error naming it (CorruptRepoError): nothing is removed then.
 */
export function cleanupOfEveryApp(snapshot: Snapshot, releasesKept: number): ReleaseCleanup {
  const hidden = snapshot.problems.find(
    ({ hides }) =>
      hides.kind === 'environments' ||
      hides.kind === 'environment' ||
      hides.kind === 'applications' ||
      hides.kind === 'application',
  );
  if (hidden) throw new CorruptRepoError(hidden.file, hidden.reason);
  const removed: RemovedRelease[] = [];
  for (const app of [...snapshot.applications.keys()].sort(compareNames)) {
    const versions = appVersionsAfter(snapshot, app, NO_WRITES, 'strict') as AppVersions;
    for (const version of retainReleases(versions, releasesKept).removed) removed.push({ app, version });
  }
  return cleanupOf(removed);
}

/**
 * The oldest release of `app` the rule keeps after this commit; undefined when everything is kept
 * or the app's state cannot be read (then nothing is refused for it).
 */
export function oldestKeptRelease(
  snapshot: Snapshot,
  app: string,
  writes: CommitVersionWrites,
  releasesKept: number,
): number | undefined {
  if (hidesEnvironments(snapshot)) return undefined;
  const versions = appVersionsAfter(snapshot, app, writesByApp(writes).get(app) ?? NO_WRITES, 'lenient');
  return versions ? retainReleases(versions, releasesKept).oldestKept : undefined;
}

export function cleanupLine({ app, version }: RemovedRelease): string {
  return `removed version ${version} of app ${app} as cleanup`;
}

const NO_CLEANUP: ReleaseCleanup = { removed: [], changes: [], messageLines: [] };

function cleanupOf(removed: readonly RemovedRelease[]): ReleaseCleanup {
  if (removed.length === 0) return NO_CLEANUP;
  return {
    removed,
    changes: removed.map(({ app, version }) => ({
      kind: 'delete',
      path: `applications/${app}/releases/${version}`,
    })),
    messageLines: removed.map(cleanupLine),
  };
}

/** An environment that cannot be modelled may run any version of any app. */
function hidesEnvironments(snapshot: Snapshot): boolean {
  return snapshot.problems.some(({ hides }) => hides.kind === 'environments' || hides.kind === 'environment');
}

interface AppWrites {
  /** Environment -> the version deployed there by the commit. */
  readonly deployed: Map<string, number>;
  /** Environment -> the version queued there by the commit. */
  readonly queued: Map<string, number>;
  readonly created: number[];
}

const NO_WRITES: AppWrites = { deployed: new Map(), queued: new Map(), created: [] };

function writesByApp({ deployed, queued = [], created = [] }: CommitVersionWrites): Map<string, AppWrites> {
  const byApp = new Map<string, AppWrites>();
  const of = (app: string) => {
    let writes = byApp.get(app);
    if (!writes) {
      writes = { deployed: new Map(), queued: new Map(), created: [] };
      byApp.set(app, writes);
    }
    return writes;
  };
  for (const { environment, app, version } of deployed) of(app).deployed.set(environment, version);
  for (const { environment, app, version } of queued) of(app).queued.set(environment, version);
  for (const { app, version } of created) of(app).created.push(version);
  return byApp;
}

/**
 * The app's releases, deployed and queued versions after the commit. `strict`: unreadable state
 * throws CorruptRepoError; `lenient`: it makes the answer undefined.
 */
function appVersionsAfter(
  snapshot: Snapshot,
  app: string,
  writes: AppWrites,
  mode: 'strict' | 'lenient',
): AppVersions | undefined {
  const application = snapshot.applications.get(app);
  const releaseNumbers = new Set(application?.releases.keys());
  for (const version of writes.created) releaseNumbers.add(version);
  const releases = [...releaseNumbers].sort((a, b) => a - b);
  const deployed: number[] = [...writes.deployed.values()];
  const queued = new Set<number>();
  const read = <T>(value: Readable<T>): T | typeof UNREADABLE => {
    if (value.ok) return value.value;
    if (mode === 'strict') throw new CorruptRepoError(value.file, value.reason);
    return UNREADABLE;
  };
  for (const environment of snapshot.environments.values()) {
    const state = environment.applications.get(app);
    const deployedHere = writes.deployed.has(environment.name);
    const queuedHere = writes.queued.get(environment.name);
    if (queuedHere !== undefined) queued.add(queuedHere);
    if (!state) continue;
    if (!deployedHere) {
      const version = read(state.deployedVersion);
      if (version === UNREADABLE) return undefined;
      if (version !== undefined) deployed.push(version);
      // A deployment removes the queued version of its environment; a new one replaces it.
      if (queuedHere === undefined) {
        const queuedVersion = read(state.queuedVersion);
        if (queuedVersion === UNREADABLE) return undefined;
        if (queuedVersion !== undefined) queued.add(queuedVersion);
      }
    }
  }
  return { releases, deployed, queued };
}

const UNREADABLE = Symbol('unreadable');
