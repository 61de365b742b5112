// An independent full read of the manifest repo, for tests: one `git ls-tree -r -t` of the whole
// commit, every release included. The service reads with SnapshotReader (lazy, incremental, tree
// by tree); tests check that what it reads equals this, problems included. Only the reading rules
// (src/planning/layout.ts: parsing, names, limits, reason texts) are shared.
// ls-tree cannot list a malformed tree: those are tested against the service alone.

import { CorruptRepoError } from '../../src/domain/errors.js';
import { parseReleaseNumber } from '../../src/domain/names.js';
import type { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import { gitOutput } from '../../src/manifest/git.js';
import {
  EMPTY_CONFIG,
  type EntryKind,
  invalidName,
  LINK_MAX_BYTES,
  LOCK_FIELD_FILES,
  linkTooLarge,
  METADATA_MAX_BYTES,
  notADirectory,
  notAFile,
  parseEnvironmentConfig,
  pathName,
  tooLarge,
  UNDEPLOY_MARKER,
} from '../../src/planning/layout.js';
import type {
  AppInEnvironment,
  Application,
  Environment,
  EnvironmentConfig,
  Lock,
  Problem,
  Readable,
  Release,
  Snapshot,
  Unreadable,
} from '../../src/planning/model.js';
import { lockBoundsProblem } from '../../src/planning/timedLocks.js';

export const SYMLINK_MODE = '120000';

export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  /** Blob size in bytes; undefined for trees and submodules. */
  readonly size: number | undefined;
  readonly path: string;
}

/** Every entry of a commit, trees included, in tree order (a tree before what it holds). */
export async function listTree(repoPath: string, commitId: string): Promise<TreeEntry[]> {
  // --long rather than --format: a format quotes names with control characters even with -z.
  const output = await gitOutput(repoPath, ['ls-tree', '-r', '-t', '-z', '--long', '--full-tree', commitId]);
  const entries: TreeEntry[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0, start);
    const record = output.toString('utf8', start, end < 0 ? output.length : end);
    start = end < 0 ? output.length : end + 1;
    const tab = record.indexOf('\t');
    const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
    if (mode && type && oid) {
      entries.push({
        mode,
        type,
        oid,
        size: size === undefined || size === '-' ? undefined : Number(size),
        path: record.slice(tab + 1),
      });
    }
  }
  return entries;
}

function kindOf(entry: TreeEntry): EntryKind {
  if (entry.type === 'tree') return 'tree';
  if (entry.type === 'commit') return 'submodule';
  return entry.mode === SYMLINK_MODE ? 'symlink' : 'file';
}

/** Lock directories under one parent: lock id -> field file -> entry, or why they are corrupt. */
class LockDirectories {
  readonly locks = new Map<string, Map<string, TreeEntry>>();
  /** The locks directory itself, or one of its entries, is not a lock directory. */
  entryCorrupt: Unreadable | undefined;
  /** A lock file cannot be read. */
  fieldCorrupt: Unreadable | undefined;

  constructor(
    readonly path: string,
    directory: TreeEntry,
  ) {
    const kind = kindOf(directory);
    if (kind !== 'tree') this.entryCorrupt = unreadable(path, notADirectory(kind));
  }

  /** An entry under the locks directory: `rest` is its path below it. */
  add(rest: readonly string[], entry: TreeEntry): void {
    const [lockId, field, ...deeper] = rest;
    if (lockId === undefined || this.entryCorrupt) return;
    const kind = kindOf(entry);
    if (field === undefined) {
      const lockPath = `${this.path}/${pathName(lockId)}`;
      const invalid = invalidName('lock', lockId);
      if (invalid) this.entryCorrupt = unreadable(lockPath, invalid);
      else if (kind !== 'tree') this.entryCorrupt = unreadable(lockPath, notADirectory(kind));
      else this.locks.set(lockId, new Map());
      return;
    }
    // A lock directory is a lock whatever it holds; its missing fields read as empty, and
    // directories or unknown files in it are ignored.
    const fields = this.locks.get(lockId);
    if (!fields || deeper.length > 0 || !Object.hasOwn(LOCK_FIELD_FILES, field) || kind === 'tree') return;
    const file = `${this.path}/${lockId}/${field}`;
    if (kind === 'submodule') this.fieldCorrupt ??= unreadable(file, notAFile(kind));
    else if ((entry.size ?? 0) > METADATA_MAX_BYTES) {
      this.fieldCorrupt ??= unreadable(file, tooLarge(entry.size ?? 0, METADATA_MAX_BYTES));
    } else fields.set(field, entry);
  }
}

interface AppEntries {
  /** The app entry is not a directory. */
  corrupt?: Unreadable;
  version?: TreeEntry;
  queuedVersion?: TreeEntry;
  readonly record: { deployedBy?: string; deployedByEmail?: string; deployedAt?: string };
  locks?: LockDirectories;
}

interface EnvironmentEntries {
  /** The environment cannot be modelled at all. */
  corrupt?: Unreadable;
  /** Entries left out inside it. */
  readonly problems: Problem[];
  config?: TreeEntry;
  locks?: LockDirectories;
  readonly teamLocks: Map<string, LockDirectories | Unreadable>;
  readonly applications: Map<string, AppEntries>;
}

interface ApplicationEntries {
  corrupt?: Unreadable;
  team?: TreeEntry;
  readonly releases: Map<number, { manifests: Map<string, string>; undeploy?: true; corrupt?: Unreadable }>;
}

interface Classified {
  readonly problems: Problem[];
  /** Names of entries that were left out: nothing under them is read. */
  readonly environments: Map<string, EnvironmentEntries>;
  readonly applications: Map<string, ApplicationEntries>;
}

/** Reads the snapshot of `commitId` (null: an unborn branch, the empty snapshot). */
export async function readSnapshotWithLsTree(
  repoPath: string,
  objects: CatFileBatch,
  commitId: string | null,
): Promise<Snapshot> {
  if (commitId === null) return { commitId, environments: new Map(), applications: new Map(), problems: [] };
  const entries = await listTree(repoPath, commitId);
  const classified: Classified = { problems: [], environments: new Map(), applications: new Map() };
  const left = new Set<string>();
  for (const entry of entries) classify(entry, classified, left);
  const contents = await readContents(objects, classified);
  const problems = [...classified.problems];
  const applications = buildApplications(classified.applications, contents, problems);
  const environments = buildEnvironments(classified.environments, applications, contents, problems);
  for (const application of classified.applications.values()) {
    for (const release of application.releases.values()) {
      if (release.corrupt) throw new CorruptRepoError(release.corrupt.file, release.corrupt.reason);
    }
  }
  return {
    commitId,
    environments,
    applications,
    problems: problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
  };
}

function classify(entry: TreeEntry, classified: Classified, left: Set<string>): void {
  const parts = entry.path.split('/');
  const [top, name, kind, ...rest] = parts;
  const entryKind = kindOf(entry);
  if (top !== 'environments' && top !== 'applications') return;
  if (name === undefined) {
    if (entryKind !== 'tree') {
      classified.problems.push({ file: top, reason: notADirectory(entryKind), hides: { kind: top } });
    }
    return;
  }
  const path = `${top}/${pathName(name)}`;
  if (left.has(path)) return;
  if (kind === undefined) {
    const invalid = invalidName(top === 'environments' ? 'environment' : 'application', name);
    const hides =
      top === 'environments'
        ? ({ kind: 'environment', name: invalid ? undefined : name } as const)
        : invalid
          ? ({ kind: 'ignored' } as const)
          : ({ kind: 'application', name } as const);
    const reason = invalid ?? (entryKind !== 'tree' ? notADirectory(entryKind) : undefined);
    if (reason !== undefined) {
      classified.problems.push({ file: path, reason, hides });
      left.add(path);
    } else if (top === 'environments') {
      classified.environments.set(name, { problems: [], teamLocks: new Map(), applications: new Map() });
    } else {
      classified.applications.set(name, { releases: new Map() });
    }
    return;
  }
  if (top === 'environments') {
    const environment = classified.environments.get(name);
    if (environment) classifyEnvironmentEntry(environment, path, kind, rest, entry);
  } else {
    const application = classified.applications.get(name);
    if (application) classifyApplicationEntry(application, path, kind, rest, entry);
  }
}

function classifyApplicationEntry(
  application: ApplicationEntries,
  applicationPath: string,
  kind: string,
  rest: string[],
  entry: TreeEntry,
): void {
  const entryKind = kindOf(entry);
  if (kind === 'team' && rest.length === 0) {
    application.team = entry;
    return;
  }
  if (kind !== 'releases') return;
  if (rest.length === 0) {
    if (entryKind !== 'tree')
      application.corrupt = unreadable(`${applicationPath}/releases`, notADirectory(entryKind));
    return;
  }
  // Only a directory with a numeric name is a release.
  const [versionName, environmentsDir, environmentName, file, ...deeper] = rest as [string, ...string[]];
  const version = parseReleaseNumber(versionName);
  if (version === undefined) return;
  const releasePath = `${applicationPath}/releases/${versionName}`;
  if (environmentsDir === undefined) {
    if (entryKind === 'tree') application.releases.set(version, { manifests: new Map() });
    return;
  }
  const release = application.releases.get(version);
  if (release && environmentsDir === UNDEPLOY_MARKER && environmentName === undefined) {
    const markerPath = `${releasePath}/${UNDEPLOY_MARKER}`;
    if (entryKind !== 'file') release.corrupt ??= unreadable(markerPath, notAFile(entryKind));
    else if ((entry.size ?? 0) > METADATA_MAX_BYTES) {
      release.corrupt ??= unreadable(markerPath, tooLarge(entry.size ?? 0, METADATA_MAX_BYTES));
    } else release.undeploy = true;
    return;
  }
  if (!release || environmentsDir !== 'environments') return;
  const environmentsPath = `${releasePath}/environments`;
  if (environmentName === undefined) {
    if (entryKind !== 'tree') release.corrupt ??= unreadable(environmentsPath, notADirectory(entryKind));
    return;
  }
  if (invalidName('environment', environmentName)) return;
  if (file === undefined) {
    if (entryKind !== 'tree') {
      release.corrupt ??= unreadable(`${environmentsPath}/${environmentName}`, notADirectory(entryKind));
    }
    return;
  }
  if (file !== 'manifests.yaml' || deeper.length > 0) return;
  if (entryKind !== 'file') {
    release.corrupt ??= unreadable(
      `${environmentsPath}/${environmentName}/manifests.yaml`,
      notAFile(entryKind),
    );
  } else release.manifests.set(environmentName, entry.oid);
}

function classifyEnvironmentEntry(
  environment: EnvironmentEntries,
  environmentPath: string,
  kind: string,
  rest: string[],
  entry: TreeEntry,
): void {
  const entryKind = kindOf(entry);
  if (kind === 'config.json') {
    if (rest.length === 0) environment.config = entry;
  } else if (kind === 'locks') {
    if (rest.length === 0) environment.locks = new LockDirectories(`${environmentPath}/locks`, entry);
    else environment.locks?.add(rest, entry);
  } else if (kind === 'teams') {
    const [team, locksDir, ...lockRest] = rest;
    if (team === undefined) {
      if (entryKind !== 'tree') {
        environment.corrupt ??= unreadable(`${environmentPath}/teams`, notADirectory(entryKind));
      }
      return;
    }
    const teamPath = `${environmentPath}/teams/${pathName(team)}`;
    const invalid = invalidName('team', team);
    if (locksDir === undefined) {
      if (invalid) environment.problems.push({ file: teamPath, reason: invalid, hides: { kind: 'ignored' } });
      else if (entryKind !== 'tree')
        environment.teamLocks.set(team, unreadable(teamPath, notADirectory(entryKind)));
      return;
    }
    if (invalid || locksDir !== 'locks') return;
    if (lockRest.length === 0)
      environment.teamLocks.set(team, new LockDirectories(`${teamPath}/locks`, entry));
    else {
      const locks = environment.teamLocks.get(team);
      if (locks instanceof LockDirectories) locks.add(lockRest, entry);
    }
  } else if (kind === 'applications') {
    const [app, file, ...appRest] = rest;
    if (app === undefined) {
      if (entryKind !== 'tree') {
        environment.corrupt ??= unreadable(`${environmentPath}/applications`, notADirectory(entryKind));
      }
      return;
    }
    const appPath = `${environmentPath}/applications/${pathName(app)}`;
    const invalid = invalidName('application', app);
    if (file === undefined) {
      if (invalid) environment.problems.push({ file: appPath, reason: invalid, hides: { kind: 'ignored' } });
      else {
        environment.applications.set(app, {
          record: {},
          ...(entryKind !== 'tree' ? { corrupt: unreadable(appPath, notADirectory(entryKind)) } : {}),
        });
      }
      return;
    }
    const appEntries = environment.applications.get(app);
    if (invalid || !appEntries || appEntries.corrupt) return;
    const isBlob = entryKind === 'file' || entryKind === 'symlink';
    if (file === 'version' && appRest.length === 0) appEntries.version = entry;
    else if (file === 'queued_version' && appRest.length === 0) appEntries.queuedVersion = entry;
    else if (file === 'deployed_by' && appRest.length === 0 && isBlob)
      appEntries.record.deployedBy = entry.oid;
    else if (file === 'deployed_by_email' && appRest.length === 0 && isBlob)
      appEntries.record.deployedByEmail = entry.oid;
    else if (file === 'deployed_at_utc' && appRest.length === 0 && isBlob)
      appEntries.record.deployedAt = entry.oid;
    else if (file === 'locks') {
      if (appRest.length === 0) appEntries.locks = new LockDirectories(`${appPath}/locks`, entry);
      else appEntries.locks?.add(appRest, entry);
    }
  }
}

async function readContents(objects: CatFileBatch, classified: Classified): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  const wantLocks = (locks: LockDirectories | Unreadable | undefined) => {
    if (!(locks instanceof LockDirectories)) return;
    for (const fields of locks.locks.values()) for (const entry of fields.values()) wanted.add(entry.oid);
  };
  const wantBlob = (entry: TreeEntry | undefined, maxBytes: number, kinds: readonly EntryKind[]) => {
    if (entry && kinds.includes(kindOf(entry)) && (entry.size ?? 0) <= maxBytes) wanted.add(entry.oid);
  };
  for (const environment of classified.environments.values()) {
    wantBlob(environment.config, METADATA_MAX_BYTES, ['file']);
    wantLocks(environment.locks);
    for (const teamLocks of environment.teamLocks.values()) wantLocks(teamLocks);
    for (const app of environment.applications.values()) {
      wantBlob(app.version, LINK_MAX_BYTES, ['symlink']);
      wantBlob(app.queuedVersion, LINK_MAX_BYTES, ['symlink']);
      wantLocks(app.locks);
    }
  }
  for (const application of classified.applications.values()) {
    wantBlob(application.team, METADATA_MAX_BYTES, ['file', 'symlink']);
  }
  const oids = [...wanted];
  const objectsRead = await objects.readMany(oids.map((name) => ({ name, maxBytes: METADATA_MAX_BYTES })));
  const contents = new Map<string, string>();
  oids.forEach((oid, index) => {
    const object = objectsRead[index];
    if (!object || object.oversized) throw new Error(`blob ${oid} could not be read`);
    contents.set(oid, object.content.toString('utf8'));
  });
  return contents;
}

function buildEnvironments(
  environments: Map<string, EnvironmentEntries>,
  applications: Map<string, Application>,
  contents: Map<string, string>,
  problems: Problem[],
): Map<string, Environment> {
  const result = new Map<string, Environment>();
  for (const [name, entries] of sorted(environments)) {
    const environmentPath = `environments/${name}`;
    if (entries.corrupt) {
      const { file, reason } = entries.corrupt;
      problems.push({ file, reason, hides: { kind: 'environment', name } });
      continue;
    }
    problems.push(...entries.problems);
    const teamLocks = new Map<string, Readable<ReadonlyMap<string, Lock>>>();
    for (const [team, locks] of sorted(entries.teamLocks)) {
      teamLocks.set(team, locks instanceof LockDirectories ? buildLocks(locks, contents) : locks);
    }
    const apps = new Map<string, AppInEnvironment>();
    for (const [app, appEntries] of sorted(entries.applications)) {
      if (appEntries.corrupt) {
        const corrupt = appEntries.corrupt;
        apps.set(app, {
          deployedVersion: corrupt,
          queuedVersion: corrupt,
          locks: corrupt,
          deploymentRecord: {},
        });
        continue;
      }
      const appPath = `${environmentPath}/applications/${app}`;
      apps.set(app, {
        deployedVersion: readVersionLink(
          appEntries.version,
          `${appPath}/version`,
          app,
          applications,
          contents,
        ),
        queuedVersion: readVersionLink(
          appEntries.queuedVersion,
          `${appPath}/queued_version`,
          app,
          applications,
          contents,
        ),
        locks: appEntries.locks ? buildLocks(appEntries.locks, contents) : { ok: true, value: new Map() },
        deploymentRecord: appEntries.record,
      });
    }
    result.set(name, {
      name,
      config: readConfig(entries.config, `${environmentPath}/config.json`, contents),
      locks: entries.locks ? buildLocks(entries.locks, contents) : { ok: true, value: new Map() },
      teamLocks,
      applications: apps,
    });
  }
  return result;
}

function buildApplications(
  applications: Map<string, ApplicationEntries>,
  contents: Map<string, string>,
  problems: Problem[],
): Map<string, Application> {
  const result = new Map<string, Application>();
  for (const [name, entries] of sorted(applications)) {
    const team = entries.corrupt ?? readTeam(entries.team, `applications/${name}/team`, contents);
    if (!team.ok) {
      problems.push({ file: team.file, reason: team.reason, hides: { kind: 'application', name } });
      continue;
    }
    const releases = new Map<number, Release>();
    let latestRelease: number | undefined;
    for (const [version, { manifests, undeploy }] of entries.releases) {
      releases.set(version, { version, manifests: sorted(manifests), undeploy: undeploy === true });
      if (latestRelease === undefined || version > latestRelease) latestRelease = version;
    }
    result.set(name, { name, team: team.value, releases, latestRelease });
  }
  return result;
}

function readTeam(
  entry: TreeEntry | undefined,
  file: string,
  contents: Map<string, string>,
): Readable<string> {
  if (!entry) return { ok: true, value: '' };
  const kind = kindOf(entry);
  if (kind === 'tree' || kind === 'submodule') return unreadable(file, notAFile(kind));
  if ((entry.size ?? 0) > METADATA_MAX_BYTES)
    return unreadable(file, tooLarge(entry.size ?? 0, METADATA_MAX_BYTES));
  const team = (contents.get(entry.oid) ?? '').trim();
  const invalid = team === '' ? undefined : invalidName('team', team);
  return invalid ? unreadable(file, invalid) : { ok: true, value: team };
}

function buildLocks(
  directories: LockDirectories,
  contents: Map<string, string>,
): Readable<ReadonlyMap<string, Lock>> {
  const corrupt = directories.entryCorrupt ?? directories.fieldCorrupt;
  if (corrupt) return corrupt;
  const locks = new Map<string, Lock>();
  for (const [lockId, fields] of sorted(directories.locks)) {
    const field = (file: string): string | undefined => {
      const entry = fields.get(file);
      return entry ? (contents.get(entry.oid) ?? '') : undefined;
    };
    const ciLink = field('ci_link');
    const suggestedLifetime = field('suggested_lifetime');
    const validFrom = field('valid_from')?.trim();
    const validUntil = field('valid_until')?.trim();
    const lock: Lock = {
      lockId,
      message: field('message') ?? '',
      createdAt: (field('created_at') ?? '').trim(),
      createdByName: field('created_by_name') ?? '',
      createdByEmail: field('created_by_email') ?? '',
      ...(ciLink ? { ciLink } : {}),
      ...(suggestedLifetime ? { suggestedLifetime } : {}),
      ...(validFrom ? { validFrom } : {}),
      ...(validUntil ? { validUntil } : {}),
    };
    const problem = lockBoundsProblem(lock, `${directories.path}/${lockId}`);
    if (problem) return problem;
    locks.set(lockId, lock);
  }
  return { ok: true, value: locks };
}

/** A `version` or `queued_version` symlink: exactly ../../../../applications/<app>/releases/<N>. */
function readVersionLink(
  entry: TreeEntry | undefined,
  file: string,
  app: string,
  applications: Map<string, Application>,
  contents: Map<string, string>,
): Readable<number | undefined> {
  if (!entry) return { ok: true, value: undefined };
  if (kindOf(entry) !== 'symlink') return { ok: false, file, reason: 'must be a symlink to a release' };
  if ((entry.size ?? 0) > LINK_MAX_BYTES) return unreadable(file, linkTooLarge(entry.size ?? 0));
  const target = contents.get(entry.oid) ?? '';
  const prefix = `../../../../applications/${app}/releases/`;
  const version = target.startsWith(prefix) ? parseReleaseNumber(target.slice(prefix.length)) : undefined;
  if (version === undefined) {
    return {
      ok: false,
      file,
      reason: `symlink target ${JSON.stringify(target.slice(0, 200))} is not ${prefix}<N>`,
    };
  }
  if (!applications.get(app)?.releases.has(version)) {
    return {
      ok: false,
      file,
      reason: `symlink points to release ${version} of ${app}, which does not exist`,
    };
  }
  return { ok: true, value: version };
}

function readConfig(
  entry: TreeEntry | undefined,
  file: string,
  contents: Map<string, string>,
): Readable<EnvironmentConfig> {
  if (!entry) return { ok: true, value: EMPTY_CONFIG };
  const kind = kindOf(entry);
  if (kind !== 'file') return unreadable(file, notAFile(kind));
  if ((entry.size ?? 0) > METADATA_MAX_BYTES)
    return unreadable(file, tooLarge(entry.size ?? 0, METADATA_MAX_BYTES));
  return parseEnvironmentConfig(contents.get(entry.oid) ?? '', file);
}

function unreadable(file: string, reason: string): Unreadable {
  return { ok: false, file, reason };
}

function sorted<K extends string | number, V>(map: ReadonlyMap<K, V>): Map<K, V> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
