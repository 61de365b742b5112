// An independent full read of the manifest repo, for tests: one `git ls-tree -r` of the whole
// commit, every release included. The service reads with SnapshotReader (lazy, incremental);
// tests check that what it reads equals this.

import type { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import { gitOutput } from '../../src/manifest/git.js';
import { LOCK_FIELD_FILES, parseEnvironmentConfig } from '../../src/planning/layout.js';
import type {
  AppInEnvironment,
  Application,
  Environment,
  EnvironmentConfig,
  Lock,
  Readable,
  Release,
  Snapshot,
} from '../../src/planning/model.js';
import { parseReleaseNumber } from '../../src/schemas/names.js';

export const SYMLINK_MODE = '120000';

export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  readonly path: string;
}

export async function listTree(repoPath: string, commitId: string): Promise<TreeEntry[]> {
  const output = await gitOutput(repoPath, ['ls-tree', '-r', '-z', '--full-tree', commitId]);
  const entries: TreeEntry[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0, start);
    const record = output.toString('utf8', start, end < 0 ? output.length : end);
    start = end < 0 ? output.length : end + 1;
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    if (mode && type && oid) entries.push({ mode, type, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/** Lock directories under one parent: lock id -> field file -> entry, or why they are corrupt. */
class LockDirectories {
  readonly locks = new Map<string, Map<string, TreeEntry>>();
  corrupt: { file: string; reason: string } | undefined;

  add(parentPath: string, rest: readonly string[], entry: TreeEntry): void {
    const [lockId, field, ...deeper] = rest;
    if (lockId === undefined) {
      this.corrupt ??= { file: entry.path, reason: 'a file where the locks directory belongs' };
      return;
    }
    if (field === undefined) {
      this.corrupt ??= { file: `${parentPath}/${lockId}`, reason: 'a file where a lock directory belongs' };
      return;
    }
    // A lock directory is a lock whatever it holds; its missing fields read as empty.
    let fields = this.locks.get(lockId);
    if (!fields) {
      fields = new Map();
      this.locks.set(lockId, fields);
    }
    if (deeper.length === 0 && Object.hasOwn(LOCK_FIELD_FILES, field)) fields.set(field, entry);
  }
}

interface AppEntries {
  version?: TreeEntry;
  queuedVersion?: TreeEntry;
  readonly record: { deployedBy?: string; deployedByEmail?: string; deployedAt?: string };
  readonly locks: LockDirectories;
}

interface EnvironmentEntries {
  config?: TreeEntry;
  readonly locks: LockDirectories;
  readonly teamLocks: Map<string, LockDirectories>;
  readonly applications: Map<string, AppEntries>;
}

interface ApplicationEntries {
  team?: TreeEntry;
  readonly releases: Map<number, Map<string, string>>;
}

/** Reads the snapshot of `commitId` (null: an unborn branch, the empty snapshot). */
export async function readSnapshotWithLsTree(
  repoPath: string,
  objects: CatFileBatch,
  commitId: string | null,
): Promise<Snapshot> {
  if (commitId === null) return { commitId, environments: new Map(), applications: new Map() };
  const entries = await listTree(repoPath, commitId);
  const environments = new Map<string, EnvironmentEntries>();
  const applications = new Map<string, ApplicationEntries>();
  for (const entry of entries) classify(entry, environments, applications);
  const contents = await readContents(objects, environments, applications);
  return {
    commitId,
    environments: buildEnvironments(environments, applications, contents),
    applications: buildApplications(applications, contents),
  };
}

function classify(
  entry: TreeEntry,
  environments: Map<string, EnvironmentEntries>,
  applications: Map<string, ApplicationEntries>,
): void {
  const parts = entry.path.split('/');
  const [top, name, kind, ...rest] = parts;
  if (name === undefined || kind === undefined) return;
  if (top === 'environments') {
    const environment = getOrCreate(environments, name, () => ({
      locks: new LockDirectories(),
      teamLocks: new Map(),
      applications: new Map(),
    }));
    classifyEnvironmentEntry(environment, `environments/${name}`, kind, rest, entry);
  } else if (top === 'applications') {
    const application = getOrCreate<string, ApplicationEntries>(applications, name, () => ({
      releases: new Map(),
    }));
    if (kind === 'team' && rest.length === 0) {
      application.team = entry;
    } else if (kind === 'releases' && rest[0] !== undefined && rest.length > 1) {
      // Only a directory is a release: a plain file named like one is not.
      const version = parseReleaseNumber(rest[0]);
      if (version === undefined) return;
      const manifests = getOrCreate(application.releases, version, () => new Map<string, string>());
      const [, environmentsDir, environmentName, file, ...deeper] = rest;
      if (
        environmentsDir === 'environments' &&
        environmentName &&
        file === 'manifests.yaml' &&
        !deeper.length
      ) {
        manifests.set(environmentName, entry.oid);
      }
    }
  }
}

function classifyEnvironmentEntry(
  environment: EnvironmentEntries,
  environmentPath: string,
  kind: string,
  rest: string[],
  entry: TreeEntry,
): void {
  if (kind === 'config.json' && rest.length === 0) {
    environment.config = entry;
  } else if (kind === 'locks') {
    environment.locks.add(`${environmentPath}/locks`, rest, entry);
  } else if (kind === 'teams') {
    const [team, locksDir, ...lockRest] = rest;
    if (team === undefined || locksDir !== 'locks') return;
    getOrCreate(environment.teamLocks, team, () => new LockDirectories()).add(
      `${environmentPath}/teams/${team}/locks`,
      lockRest,
      entry,
    );
  } else if (kind === 'applications') {
    const [app, file, ...appRest] = rest;
    if (app === undefined || file === undefined) return;
    const appEntries = getOrCreate<string, AppEntries>(environment.applications, app, () => ({
      locks: new LockDirectories(),
      record: {},
    }));
    if (file === 'version' && appRest.length === 0) appEntries.version = entry;
    else if (file === 'queued_version' && appRest.length === 0) appEntries.queuedVersion = entry;
    else if (file === 'deployed_by' && appRest.length === 0) appEntries.record.deployedBy = entry.oid;
    else if (file === 'deployed_by_email' && appRest.length === 0)
      appEntries.record.deployedByEmail = entry.oid;
    else if (file === 'deployed_at_utc' && appRest.length === 0) appEntries.record.deployedAt = entry.oid;
    else if (file === 'locks')
      appEntries.locks.add(`${environmentPath}/applications/${app}/locks`, appRest, entry);
  }
}

async function readContents(
  objects: CatFileBatch,
  environments: Map<string, EnvironmentEntries>,
  applications: Map<string, ApplicationEntries>,
): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  const wantLocks = (locks: LockDirectories) => {
    for (const fields of locks.locks.values()) for (const entry of fields.values()) wanted.add(entry.oid);
  };
  for (const environment of environments.values()) {
    if (environment.config) wanted.add(environment.config.oid);
    wantLocks(environment.locks);
    for (const teamLocks of environment.teamLocks.values()) wantLocks(teamLocks);
    for (const app of environment.applications.values()) {
      if (app.version) wanted.add(app.version.oid);
      if (app.queuedVersion) wanted.add(app.queuedVersion.oid);
      wantLocks(app.locks);
    }
  }
  for (const application of applications.values()) if (application.team) wanted.add(application.team.oid);
  const oids = [...wanted];
  const objectsRead = await objects.readMany(oids);
  const contents = new Map<string, string>();
  oids.forEach((oid, index) => {
    const object = objectsRead[index];
    if (object) contents.set(oid, object.content.toString('utf8'));
  });
  return contents;
}

function buildEnvironments(
  environments: Map<string, EnvironmentEntries>,
  applications: Map<string, ApplicationEntries>,
  contents: Map<string, string>,
): Map<string, Environment> {
  const result = new Map<string, Environment>();
  for (const [name, entries] of environments) {
    const environmentPath = `environments/${name}`;
    const teamLocks = new Map<string, Readable<ReadonlyMap<string, Lock>>>();
    for (const [team, locks] of entries.teamLocks) teamLocks.set(team, buildLocks(locks, contents));
    const apps = new Map<string, AppInEnvironment>();
    for (const [app, appEntries] of entries.applications) {
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
        locks: buildLocks(appEntries.locks, contents),
        deploymentRecord: appEntries.record,
      });
    }
    result.set(name, {
      name,
      config: readConfig(entries.config, `${environmentPath}/config.json`, contents),
      locks: buildLocks(entries.locks, contents),
      teamLocks,
      applications: apps,
    });
  }
  return result;
}

function buildApplications(
  applications: Map<string, ApplicationEntries>,
  contents: Map<string, string>,
): Map<string, Application> {
  const result = new Map<string, Application>();
  for (const [name, entries] of applications) {
    const releases = new Map<number, Release>();
    let latestRelease: number | undefined;
    for (const [version, manifests] of entries.releases) {
      releases.set(version, { version, manifests });
      if (latestRelease === undefined || version > latestRelease) latestRelease = version;
    }
    const team = entries.team ? (contents.get(entries.team.oid) ?? '').trim() : '';
    result.set(name, { name, team, releases, latestRelease });
  }
  return result;
}

function buildLocks(
  directories: LockDirectories,
  contents: Map<string, string>,
): Readable<ReadonlyMap<string, Lock>> {
  if (directories.corrupt) return { ok: false, ...directories.corrupt };
  const locks = new Map<string, Lock>();
  for (const [lockId, fields] of directories.locks) {
    const field = (file: string): string | undefined => {
      const entry = fields.get(file);
      return entry ? (contents.get(entry.oid) ?? '') : undefined;
    };
    const ciLink = field('ci_link');
    const suggestedLifetime = field('suggested_lifetime');
    locks.set(lockId, {
      lockId,
      message: field('message') ?? '',
      createdAt: (field('created_at') ?? '').trim(),
      createdByName: field('created_by_name') ?? '',
      createdByEmail: field('created_by_email') ?? '',
      ...(ciLink ? { ciLink } : {}),
      ...(suggestedLifetime ? { suggestedLifetime } : {}),
    });
  }
  return { ok: true, value: locks };
}

/** A `version` or `queued_version` symlink: exactly ../../../../applications/<app>/releases/<N>. */
function readVersionLink(
  entry: TreeEntry | undefined,
  file: string,
  app: string,
  applications: Map<string, ApplicationEntries>,
  contents: Map<string, string>,
): Readable<number | undefined> {
  if (!entry) return { ok: true, value: undefined };
  if (entry.mode !== SYMLINK_MODE) return { ok: false, file, reason: 'must be a symlink to a release' };
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
  if (!entry) return { ok: true, value: { upstream: null, environmentGroup: undefined, raw: {} } };
  if (entry.mode === SYMLINK_MODE) return { ok: false, file, reason: 'must be a file, not a symlink' };
  return parseEnvironmentConfig(contents.get(entry.oid) ?? '', file);
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
