// The snapshot after a commit of the service's own, derived from the snapshot the write was
// planned on and the changes it made, so the next request needs no read of the repo. Pure: the
// blob ids of new content come from `blobIdOf`. Tests check the result equals a fresh read.
//
// Two things cannot be told from the snapshot alone, and are handed back as `unsure` for the git
// adapter to read from the new commit: whether a directory still exists after a delete inside it
// (git keeps no empty directories, and a directory may hold files the snapshot does not model),
// and changes of a kind the service never writes (a file where a directory belongs, data that
// was unreadable before). Deletes are rare and mostly leave modeled files behind (a lock removed
// from an environment that has a config), so big trains stay read-free.

import { parseReleaseNumber } from '../domain/names.js';
import type { TreeChange } from './changes.js';
import {
  checkVersionLink,
  EMPTY_CONFIG,
  LOCK_FIELD_FILES,
  parseEnvironmentConfig,
  SYMLINK_MODE,
  UNDEPLOY_MARKER,
  type VersionLink,
} from './layout.js';
import type {
  AppInEnvironment,
  Application,
  DeploymentRecordBlobs,
  Environment,
  EnvironmentConfig,
  Lock,
  LockMap,
  Readable,
  Release,
  Snapshot,
} from './model.js';
import { compareNames, EMPTY_LOCKS } from './readable.js';
import { lockBoundsProblem } from './timedLocks.js';

/** Parts of a derived snapshot that only the new commit can tell: the adapter reads them from it. */
export interface UnsureParts {
  /** Environments that may be gone, or whose config, locks or team locks could not be derived. */
  readonly environments: ReadonlySet<string>;
  /** Environment -> its apps that may be gone from it, or whose state could not be derived. */
  readonly appsInEnvironments: ReadonlyMap<string, ReadonlySet<string>>;
  /** Applications that may be gone, or whose team or releases could not be derived. */
  readonly applications: ReadonlySet<string>;
}

export interface DerivedSnapshot {
  readonly snapshot: Snapshot;
  /** null: the snapshot is exact as derived. */
  readonly unsure: UnsureParts | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface DraftEnvironment {
  config: Readable<EnvironmentConfig>;
  locks: Readable<LockMap>;
  teamLocks: Map<string, Readable<LockMap>>;
  /** Teams whose locks changed: a team without locks left is no longer listed. */
  readonly touchedTeams: Set<string>;
  readonly apps: Map<string, DraftApp>;
}

interface DraftApp {
  /** null: unchanged (the base's value is taken when the snapshot is assembled). */
  version: VersionLink | undefined | null;
  queued: VersionLink | undefined | null;
  locks: Readable<LockMap>;
  readonly deploymentRecord: Mutable<DeploymentRecordBlobs>;
}

/** A change whose effect only git can tell. */
const UNSURE = Symbol('unsure');

const DEFAULT_CONFIG: Readable<EnvironmentConfig> = { ok: true, value: EMPTY_CONFIG };

const RECORD_FILES: Readonly<Record<string, keyof DeploymentRecordBlobs>> = {
  deployed_by: 'deployedBy',
  deployed_by_email: 'deployedByEmail',
  deployed_at_utc: 'deployedAt',
};

export function applyChanges(
  snapshot: Snapshot,
  changes: readonly TreeChange[],
  commitId: string,
  blobIdOf: (content: string | Buffer) => string,
): DerivedSnapshot {
  const derivation = new Derivation(snapshot, blobIdOf);
  for (const change of changes) derivation.apply(change);
  return derivation.finish(commitId);
}

class Derivation {
  private readonly environments = new Map<string, DraftEnvironment>();
  private readonly applications = new Map<string, Application>();
  private readonly applicationsWithNewReleases = new Set<string>();
  private readonly applicationsWithRemovedReleases = new Set<string>();
  /** Apps whose `releases` map is the draft's own (see releasesOf). */
  private readonly ownReleases = new Map<string, Map<number, Release>>();
  /** Units a delete reached into: they exist afterwards only if something the snapshot models is left. */
  private readonly mayVanish = new Units();
  private readonly unsure = new Units();
  private allEnvironmentsUnsure = false;
  private readonly allAppsUnsureIn = new Set<string>();
  private allApplicationsUnsure = false;

  constructor(
    private readonly base: Snapshot,
    private readonly blobIdOf: (content: string | Buffer) => string,
  ) {}

  apply(change: TreeChange): void {
    const [top, name, kind, ...rest] = change.path.split('/');
    if (top === 'environments') this.applyToEnvironment(change, name, kind, rest);
    else if (top === 'applications') this.applyToApplication(change, name, kind, rest);
    // Anything else in the repo is nothing the snapshot models.
  }

  private applyToEnvironment(
    change: TreeChange,
    name: string | undefined,
    kind: string | undefined,
    rest: readonly string[],
  ): void {
    const removing = change.kind === 'delete';
    if (name === undefined) {
      this.allEnvironmentsUnsure = true;
      return;
    }
    // A delete where nothing exists changes nothing.
    if (removing && !this.environmentExists(name)) return;
    if (kind === undefined) {
      this.unsure.environments.add(name);
      this.allAppsUnsureIn.add(name);
      return;
    }
    const environment = this.environment(name);
    if (removing) this.mayVanish.environments.add(name);
    if (kind === 'config.json') {
      if (rest.length === 0 && removing) environment.config = DEFAULT_CONFIG;
      else if (rest.length === 0 && change.kind === 'file') {
        environment.config = parseEnvironmentConfig(change.content.toString(), change.path);
      } else this.unsure.environments.add(name);
    } else if (kind === 'locks') {
      const locks = this.lockChange(environment.locks, rest, change);
      if (locks === UNSURE) this.unsure.environments.add(name);
      else environment.locks = locks;
    } else if (kind === 'teams') {
      const [team, locksDirectory, ...lockPath] = rest;
      if (team === undefined) {
        // `teams` removed, or a file where it belongs: no team has locks then.
        for (const known of environment.teamLocks.keys()) environment.touchedTeams.add(known);
        environment.teamLocks.clear();
      } else if (locksDirectory === undefined) {
        environment.teamLocks.delete(team);
      } else if (locksDirectory === 'locks') {
        const locks = this.lockChange(environment.teamLocks.get(team) ?? EMPTY_LOCKS, lockPath, change);
        if (locks === UNSURE) this.unsure.environments.add(name);
        else {
          environment.teamLocks.set(team, locks);
          environment.touchedTeams.add(team);
        }
      }
    } else if (kind === 'applications') {
      const [app, file, ...deeper] = rest;
      if (app === undefined) this.allAppsUnsureIn.add(name);
      else if (file === undefined) this.unsure.app(name, app);
      else this.applyToApp(change, name, app, file, deeper);
    }
  }

  private applyToApp(
    change: TreeChange,
    environmentName: string,
    app: string,
    file: string,
    deeper: readonly string[],
  ): void {
    const removing = change.kind === 'delete';
    if (removing && !this.appExists(environmentName, app)) return;
    const draft = this.appIn(environmentName, app);
    if (removing) this.mayVanish.app(environmentName, app);
    if (file === 'locks') {
      const locks = this.lockChange(draft.locks, deeper, change);
      if (locks === UNSURE) this.unsure.app(environmentName, app);
      else draft.locks = locks;
      return;
    }
    const record = Object.hasOwn(RECORD_FILES, file) ? RECORD_FILES[file] : undefined;
    const modeled = record !== undefined || file === 'version' || file === 'queued_version';
    if (!modeled) return;
    // A directory where the file belongs.
    if (deeper.length > 0) {
      this.unsure.app(environmentName, app);
      return;
    }
    if (record !== undefined) {
      if (change.kind === 'delete') delete draft.deploymentRecord[record];
      else draft.deploymentRecord[record] = this.blobIdOfChange(change);
      return;
    }
    // A regular file where the symlink belongs is read as one: checkVersionLink refuses it.
    const link: VersionLink | undefined =
      change.kind === 'delete'
        ? undefined
        : change.kind === 'symlink'
          ? { mode: SYMLINK_MODE, target: change.target }
          : { mode: '100644', target: '' };
    if (file === 'version') draft.version = link;
    else draft.queued = link;
  }

  private applyToApplication(
    change: TreeChange,
    name: string | undefined,
    kind: string | undefined,
    rest: readonly string[],
  ): void {
    const removing = change.kind === 'delete';
    if (name === undefined) {
      this.allApplicationsUnsure = true;
      return;
    }
    if (removing && !this.application(name, { create: false })) return;
    if (kind === undefined) {
      this.unsure.applications.add(name);
      return;
    }
    const application = this.application(name, { create: true }) as Mutable<Application>;
    if (removing) this.mayVanish.applications.add(name);
    if (kind === 'team') {
      const text = textOf(change);
      if (rest.length > 0 || (text === undefined && !removing)) this.unsure.applications.add(name);
      else application.team = (text ?? '').trim();
    } else if (kind === 'releases') {
      const [directory, ...inside] = rest;
      const version = directory === undefined ? undefined : parseReleaseNumber(directory);
      // A directory that is no release number is no release: nothing the snapshot models.
      if (directory !== undefined && version === undefined) return;
      if (version !== undefined && inside.length === 0 && removing) {
        this.removeRelease(name, application, version);
        return;
      }
      // The releases directory written or removed, a release's own written, or a file removed from one.
      if (version === undefined || inside.length === 0 || removing) {
        this.unsure.applications.add(name);
        return;
      }
      const existing = application.releases.get(version);
      const release = this.releaseAfter(existing, version, inside, change);
      if (release === UNSURE) {
        this.unsure.applications.add(name);
        return;
      }
      if (release === existing) return;
      this.releasesOf(name, application).set(version, release);
      if (existing) return;
      this.applicationsWithNewReleases.add(name);
      if (application.latestRelease === undefined || version > application.latestRelease) {
        application.latestRelease = version;
      }
    }
  }

  /** A release removed wholly (retention, lifecycle.md): what linked to it is git's to tell. */
  private removeRelease(name: string, application: Mutable<Application>, version: number): void {
    if (!application.releases.has(version)) return;
    const releases = this.releasesOf(name, application);
    releases.delete(version);
    this.applicationsWithRemovedReleases.add(name);
    this.mayVanish.applications.add(name);
    if (application.latestRelease === version) {
      let latest: number | undefined;
      for (const remaining of releases.keys())
        if (latest === undefined || remaining > latest) latest = remaining;
      application.latestRelease = latest;
    }
  }

  /** The draft's own copy of an app's releases, made once per app (a cleanup removes hundreds). */
  private releasesOf(name: string, application: Mutable<Application>): Map<number, Release> {
    let releases = this.ownReleases.get(name);
    if (!releases) {
      releases = new Map(application.releases);
      this.ownReleases.set(name, releases);
      application.releases = releases;
    }
    return releases;
  }

  /** A release after a write into its directory (`inside`: the path below it). */
  private releaseAfter(
    existing: Release | undefined,
    version: number,
    inside: readonly string[],
    change: Exclude<TreeChange, { kind: 'delete' }>,
  ): Release | typeof UNSURE {
    const release = existing ?? { version, manifests: new Map<string, string>(), undeploy: false };
    const [first, environment, file, ...deeper] = inside;
    if (first === UNDEPLOY_MARKER) {
      // A directory where the marker belongs is not one the service writes.
      if (environment !== undefined) return UNSURE;
      // Built field by field: a release read from git keeps its fields in getters.
      return release.undeploy === true ? release : { version, manifests: release.manifests, undeploy: true };
    }
    if (first !== 'environments') return release;
    // A file where a directory belongs, a manifests.yaml that is a directory.
    if (environment === undefined || file === undefined) return UNSURE;
    if (file !== 'manifests.yaml') return release;
    if (deeper.length > 0) return UNSURE;
    // The other manifests of a release not read yet are not known here.
    if (release.manifests === undefined) return UNSURE;
    return {
      version,
      manifests: new Map(release.manifests).set(environment, this.blobIdOfChange(change)),
      undeploy: release.undeploy,
    };
  }

  /** A change below a locks directory (`path`: what follows `locks/`). */
  private lockChange(
    locks: Readable<LockMap>,
    path: readonly string[],
    change: TreeChange,
  ): Readable<LockMap> | typeof UNSURE {
    const removing = change.kind === 'delete';
    if (!locks.ok) return UNSURE;
    const [lockId, file, ...deeper] = path;
    if (lockId === undefined) return removing ? EMPTY_LOCKS : UNSURE;
    const next = new Map(locks.value);
    if (file === undefined) {
      // A file where a lock directory belongs makes the locks unreadable: git tells how.
      if (!removing) return UNSURE;
      next.delete(lockId);
      return { ok: true, value: next };
    }
    // A file of a lock removed: whether the lock is left, and with what, only git tells.
    if (removing) return next.has(lockId) ? UNSURE : locks;
    const lock: Mutable<Lock> = { ...(next.get(lockId) ?? emptyLock(lockId)) };
    if (Object.hasOwn(LOCK_FIELD_FILES, file)) {
      const property = LOCK_FIELD_FILES[file] as keyof Lock;
      const text = textOf(change);
      if (deeper.length > 0 || text === undefined || property === 'lockId') return UNSURE;
      if (property === 'createdAt') lock.createdAt = text.trim();
      else if (property === 'validFrom' || property === 'validUntil') lock[property] = text.trim();
      else lock[property] = text;
      if (lock.ciLink === '') delete lock.ciLink;
      if (lock.suggestedLifetime === '') delete lock.suggestedLifetime;
      if (lock.validFrom === '') delete lock.validFrom;
      if (lock.validUntil === '') delete lock.validUntil;
      // Bounds the reader would refuse: it tells how (the lock's other files may follow).
      if (lockBoundsProblem(lock, '') !== undefined) return UNSURE;
    }
    // Any other file in a lock directory makes it a lock, and changes none of its fields.
    next.set(lockId, lock);
    return { ok: true, value: next };
  }

  private environmentExists(name: string): boolean {
    return this.environments.has(name) || this.base.environments.has(name);
  }

  private appExists(environment: string, app: string): boolean {
    return (
      this.environments.get(environment)?.apps.has(app) === true ||
      this.base.environments.get(environment)?.applications.has(app) === true
    );
  }

  private environment(name: string): DraftEnvironment {
    let draft = this.environments.get(name);
    if (!draft) {
      const base = this.base.environments.get(name);
      draft = {
        config: base?.config ?? DEFAULT_CONFIG,
        locks: base?.locks ?? EMPTY_LOCKS,
        teamLocks: new Map(base?.teamLocks),
        touchedTeams: new Set(),
        apps: new Map(),
      };
      this.environments.set(name, draft);
    }
    return draft;
  }

  private appIn(environmentName: string, app: string): DraftApp {
    const environment = this.environment(environmentName);
    let draft = environment.apps.get(app);
    if (!draft) {
      const base = this.base.environments.get(environmentName)?.applications.get(app);
      draft = {
        version: null,
        queued: null,
        locks: base?.locks ?? EMPTY_LOCKS,
        deploymentRecord: { ...base?.deploymentRecord },
      };
      environment.apps.set(app, draft);
    }
    return draft;
  }

  private application(name: string, { create }: { create: boolean }): Application | undefined {
    let draft = this.applications.get(name);
    if (!draft) {
      const base = this.base.applications.get(name);
      if (!base && !create) return undefined;
      draft = base ? { ...base } : { name, team: '', releases: new Map(), latestRelease: undefined };
      this.applications.set(name, draft);
    }
    return draft;
  }

  private blobIdOfChange(change: Exclude<TreeChange, { kind: 'delete' }>): string {
    if (change.kind === 'blob') return change.oid;
    return this.blobIdOf(change.kind === 'file' ? change.content : change.target);
  }

  finish(commitId: string): DerivedSnapshot {
    const applications = new Map(this.base.applications);
    for (const [name, application] of this.applications) applications.set(name, application);

    const environments = new Map(this.base.environments);
    for (const [name, draft] of this.environments) {
      const base = this.base.environments.get(name);
      const apps = new Map(base?.applications);
      for (const [app, draftApp] of draft.apps) {
        const path = `environments/${name}/applications/${app}`;
        const baseState = base?.applications.get(app);
        const link = (value: VersionLink | undefined | null, file: string, previous = NO_VERSION) =>
          value === null ? previous : checkVersionLink(value, `${path}/${file}`, app, applications);
        apps.set(app, {
          deployedVersion: link(draftApp.version, 'version', baseState?.deployedVersion),
          queuedVersion: link(draftApp.queued, 'queued_version', baseState?.queuedVersion),
          locks: sortLocks(draftApp.locks),
          deploymentRecord: draftApp.deploymentRecord,
        });
      }
      const teamLocks = new Map(draft.teamLocks);
      for (const team of draft.touchedTeams) {
        const locks = teamLocks.get(team);
        if (!locks) continue;
        // git keeps no empty directory: a team's locks directory goes with its last lock.
        if (locks.ok && locks.value.size === 0) teamLocks.delete(team);
        else teamLocks.set(team, sortLocks(locks));
      }
      environments.set(name, {
        name,
        config: draft.config,
        locks: sortLocks(draft.locks),
        teamLocks: sortedMap(teamLocks),
        applications: sortedMap(apps),
      });
    }

    this.settleExistence(environments, applications);
    // A link to a release that did not exist may be valid now; its target is git's to tell.
    for (const app of this.applicationsWithNewReleases) {
      for (const environment of environments.values()) {
        const state = environment.applications.get(app);
        if (state && (!state.deployedVersion.ok || !state.queuedVersion.ok))
          this.unsure.app(environment.name, app);
      }
    }
    // A link to a release that is gone is no longer valid (the retention rule never removes one).
    for (const app of this.applicationsWithRemovedReleases) {
      const releases = applications.get(app)?.releases;
      const gone = (link: Readable<number | undefined>) =>
        link.ok && link.value !== undefined && !releases?.has(link.value);
      for (const environment of environments.values()) {
        const state = environment.applications.get(app);
        if (state && (gone(state.deployedVersion) || gone(state.queuedVersion)))
          this.unsure.app(environment.name, app);
      }
    }
    if (this.allEnvironmentsUnsure) {
      for (const name of environments.keys()) {
        this.unsure.environments.add(name);
        this.allAppsUnsureIn.add(name);
      }
    }
    for (const name of this.allAppsUnsureIn) {
      for (const app of environments.get(name)?.applications.keys() ?? []) this.unsure.app(name, app);
    }
    if (this.allApplicationsUnsure)
      for (const name of applications.keys()) this.unsure.applications.add(name);

    return {
      // Spread first: fields the snapshot gains later are carried over unless derived here.
      snapshot: {
        ...this.base,
        commitId,
        environments: sortedMap(environments),
        applications: sortedMap(applications),
      },
      unsure: this.unsure.isEmpty() ? null : this.unsure,
    };
  }

  /** A unit a delete reached into exists for sure if it still holds a file the snapshot models. */
  private settleExistence(
    environments: ReadonlyMap<string, Environment>,
    applications: ReadonlyMap<string, Application>,
  ): void {
    for (const [name, apps] of this.mayVanish.appsInEnvironments) {
      for (const app of apps) {
        const state = environments.get(name)?.applications.get(app);
        if (state && !holdsModeledFiles(state)) this.unsure.app(name, app);
      }
    }
    for (const name of this.mayVanish.environments) {
      const environment = environments.get(name);
      if (!environment) continue;
      const unsureApps = this.unsure.appsInEnvironments.get(name);
      const holdsApp = [...environment.applications.keys()].some((app) => !unsureApps?.has(app));
      if (!holdsApp && !holdsModeledEnvironmentFiles(environment)) this.unsure.environments.add(name);
    }
    for (const name of this.mayVanish.applications) {
      const application = applications.get(name);
      if (application && application.releases.size === 0 && application.team === '') {
        this.unsure.applications.add(name);
      }
    }
  }
}

class Units implements UnsureParts {
  readonly environments = new Set<string>();
  readonly appsInEnvironments = new Map<string, Set<string>>();
  readonly applications = new Set<string>();

  app(environment: string, app: string): void {
    let apps = this.appsInEnvironments.get(environment);
    if (!apps) {
      apps = new Set();
      this.appsInEnvironments.set(environment, apps);
    }
    apps.add(app);
  }

  isEmpty(): boolean {
    return this.environments.size === 0 && this.appsInEnvironments.size === 0 && this.applications.size === 0;
  }
}

const NO_VERSION: Readable<number | undefined> = { ok: true, value: undefined };

function emptyLock(lockId: string): Lock {
  return { lockId, message: '', createdAt: '', createdByName: '', createdByEmail: '' };
}

/** The text a file or symlink holds; undefined for a blob given by id (or a delete). */
function textOf(change: TreeChange): string | undefined {
  if (change.kind === 'file') return change.content.toString();
  if (change.kind === 'symlink') return change.target;
  return undefined;
}

/** Whether an app's directory holds a file the snapshot shows (then git still has the directory). */
function holdsModeledFiles(state: AppInEnvironment): boolean {
  const present = (value: Readable<unknown>) => !value.ok || value.value !== undefined;
  return (
    present(state.deployedVersion) ||
    present(state.queuedVersion) ||
    !state.locks.ok ||
    state.locks.value.size > 0 ||
    Object.values(state.deploymentRecord).some((oid) => oid !== undefined)
  );
}

/** The same for an environment's own files (a config.json of `{}` reads like none: git tells). */
function holdsModeledEnvironmentFiles(environment: Environment): boolean {
  return (
    !environment.config.ok ||
    Object.keys(environment.config.value.raw).length > 0 ||
    !environment.locks.ok ||
    environment.locks.value.size > 0 ||
    environment.teamLocks.size > 0
  );
}

function sortLocks(locks: Readable<LockMap>): Readable<LockMap> {
  return locks.ok ? { ok: true, value: sortedMap(locks.value) } : locks;
}

function sortedMap<V>(map: ReadonlyMap<string, V>): Map<string, V> {
  return new Map([...map].sort(([a], [b]) => compareNames(a, b)));
}
