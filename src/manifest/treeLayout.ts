// What the entries of the manifest repo's trees mean (manifest-repo.md), as rules over trees and
// texts already read: which entry holds what, and what makes an entry a snapshot problem or a
// value Unreadable. The walk that reads the trees is snapshotReader.ts; the rules that do not
// depend on trees (names, version links, config.json) are planning/layout.ts, shared with the
// snapshot derived from our own commits.
import { releaseLink } from '../planning/changes.js';
import {
  checkVersionLink,
  EMPTY_CONFIG,
  invalidName,
  LOCK_FIELD_FILES,
  linkTooLarge,
  METADATA_MAX_BYTES,
  notADirectory,
  notAFile,
  parseEnvironmentConfig,
  pathName,
  SYMLINK_MODE,
  tooLarge,
  type VersionLink,
} from '../planning/layout.js';
import type {
  AppInEnvironment,
  Application,
  DeploymentRecordBlobs,
  Environment,
  EnvironmentConfig,
  Lock,
  LockMap,
  Problem,
  Readable,
  Unreadable,
} from '../planning/model.js';
import { lockBoundsProblem } from '../planning/timedLocks.js';
import type { BlobText } from './objectLoader.js';
import { type Tree, type TreeEntry, UnreadableTreeError } from './treeParser.js';

/** An app's directory in an environment, before its symlinks are checked against the releases. */
export interface RawAppInEnvironment {
  readonly version: VersionLink | Unreadable | undefined;
  readonly queued: VersionLink | Unreadable | undefined;
  readonly locks: Readable<LockMap>;
  readonly deploymentRecord: DeploymentRecordBlobs;
}

export interface RawEnvironment {
  readonly config: Readable<EnvironmentConfig>;
  readonly locks: Readable<LockMap>;
  readonly teamLocks: ReadonlyMap<string, Readable<LockMap>>;
  readonly applications: ReadonlyMap<string, RawAppInEnvironment>;
  /** Entries inside it that were left out (apps and teams with invalid names). */
  readonly problems: readonly Problem[];
}

/**
 * The problem of an entry of `applications` that is no application: an invalid name (nothing can
 * depend on it) or no directory (that application is unknown).
 */
export function applicationEntryProblem(entry: TreeEntry): Problem | undefined {
  const file = `applications/${pathName(entry.name)}`;
  const invalid = invalidName('application', entry.name);
  if (invalid) return { file, reason: invalid, hides: { kind: 'ignored' } };
  if (entry.kind !== 'tree')
    return { file, reason: notADirectory(entry.kind), hides: hidesApplication(entry) };
  return undefined;
}

export function hidesApplication(entry: TreeEntry): Problem['hides'] {
  return { kind: 'application', name: entry.name };
}

/**
 * The problem of an entry of `environments` that is no environment. One of any name may be in any
 * group: with an invalid name, every group's members are unknown.
 */
export function environmentEntryProblem(entry: TreeEntry): Problem | undefined {
  const file = `environments/${pathName(entry.name)}`;
  const invalid = invalidName('environment', entry.name);
  if (invalid) return { file, reason: invalid, hides: { kind: 'environment', name: undefined } };
  if (entry.kind !== 'tree')
    return { file, reason: notADirectory(entry.kind), hides: hidesEnvironment(entry) };
  return undefined;
}

export function hidesEnvironment(entry: TreeEntry): Problem['hides'] {
  return { kind: 'environment', name: entry.name };
}

/** A metadata file's text; Unreadable when it is larger than a metadata file may be. */
export function metadataFile(text: BlobText, file: string): Readable<string> {
  return text.ok
    ? { ok: true, value: text.text }
    : { ok: false, file, reason: tooLarge(text.size, METADATA_MAX_BYTES) };
}

/** An app's `team` is a file (or a symlink, read as one). */
export function teamEntryProblem(entry: TreeEntry, file: string): Unreadable | undefined {
  return entry.kind === 'tree' || entry.kind === 'submodule'
    ? { ok: false, file, reason: notAFile(entry.kind) }
    : undefined;
}

/** An app's team: "" without a team file, else a valid team name. */
export function teamOf(text: BlobText | undefined, file: string): Readable<string> {
  if (text === undefined) return { ok: true, value: '' };
  const read = metadataFile(text, file);
  if (!read.ok) return read;
  const team = read.value.trim();
  const invalid = team === '' ? undefined : invalidName('team', team);
  return invalid ? { ok: false, file, reason: invalid } : { ok: true, value: team };
}

/** An environment's `config.json` is a file. */
export function configEntryProblem(entry: TreeEntry, file: string): Unreadable | undefined {
  return entry.kind === 'file' ? undefined : { ok: false, file, reason: notAFile(entry.kind) };
}

/** An environment's config: the empty config without a config.json. */
export function configOf(text: BlobText | undefined, file: string): Readable<EnvironmentConfig> {
  if (text === undefined) return { ok: true, value: EMPTY_CONFIG };
  const read = metadataFile(text, file);
  return read.ok ? parseEnvironmentConfig(read.value, file) : read;
}

/** An entry that must be a directory and is not: what is read from it is Unreadable. */
export function notADirectoryValue(entry: TreeEntry, file: string): Unreadable | undefined {
  return entry.kind === 'tree' ? undefined : { ok: false, file, reason: notADirectory(entry.kind) };
}

/** Directories of an environment (or an application) that must be directories to read it at all. */
export function directoryProblem(tree: Tree, names: readonly string[], path: string): Unreadable | undefined {
  // Checked in the order given, so that the first of several is the one named.
  for (const name of names) {
    const entry = tree.get(name);
    const broken = entry && notADirectoryValue(entry, `${path}/${name}`);
    if (broken) return broken;
  }
  return undefined;
}

/**
 * An entry of an environment's `applications` or `teams` whose name no request can name: left
 * out, as a problem nothing depends on.
 */
export function invalidlyNamed(
  kind: 'application' | 'team',
  entry: TreeEntry,
  path: string,
): Problem | undefined {
  const invalid = invalidName(kind, entry.name);
  return invalid
    ? { file: `${path}/${pathName(entry.name)}`, reason: invalid, hides: { kind: 'ignored' } }
    : undefined;
}

/** A directory of the layout that must be one (`teams`, an environment's `applications`). */
export function requireDirectory(entry: TreeEntry, path: string): void {
  if (entry.kind !== 'tree') throw new UnreadableTreeError(path, notADirectory(entry.kind));
}

/**
 * The entries of a locks directory: anything that is not a lock directory with a valid id makes
 * the locks unreadable (a lock that is left out would let a train pass it), the first in tree
 * order named.
 */
export function lockEntriesProblem(tree: Tree, path: string): Unreadable | undefined {
  for (const lock of tree.values()) {
    const lockPath = `${path}/${pathName(lock.name)}`;
    const invalid = invalidName('lock', lock.name);
    if (invalid) return { ok: false, file: lockPath, reason: invalid };
    if (lock.kind !== 'tree') return { ok: false, file: lockPath, reason: notADirectory(lock.kind) };
  }
  return undefined;
}

/** The files of a lock directory that hold its fields; directories under a lock are ignored. */
export function lockFieldEntries(tree: Tree): TreeEntry[] {
  return [...tree.values()].filter(
    (field) => Object.hasOwn(LOCK_FIELD_FILES, field.name) && field.kind !== 'tree',
  );
}

/** A lock field that is a submodule entry makes the lock unreadable. */
export function lockFieldEntryProblem(field: TreeEntry, file: string): Unreadable | undefined {
  return field.kind === 'submodule' ? { ok: false, file, reason: notAFile(field.kind) } : undefined;
}

/** A lock from the texts of its files; its bounds must be RFC 3339 times of a non-empty interval. */
export function lockOf(
  lockId: string,
  fields: ReadonlyMap<string, string>,
  directory: string,
): Readable<Lock> {
  const ciLink = fields.get('ci_link');
  const suggestedLifetime = fields.get('suggested_lifetime');
  // Empty bound files read as no bound, as any missing lock file reads as empty.
  const validFrom = fields.get('valid_from')?.trim();
  const validUntil = fields.get('valid_until')?.trim();
  const lock: Lock = {
    lockId,
    message: fields.get('message') ?? '',
    createdAt: (fields.get('created_at') ?? '').trim(),
    createdByName: fields.get('created_by_name') ?? '',
    createdByEmail: fields.get('created_by_email') ?? '',
    ...(ciLink ? { ciLink } : {}),
    ...(suggestedLifetime ? { suggestedLifetime } : {}),
    ...(validFrom ? { validFrom } : {}),
    ...(validUntil ? { validUntil } : {}),
  };
  return lockBoundsProblem(lock, directory) ?? { ok: true, value: lock };
}

/**
 * What a snapshot uses of an app's directory in an environment, taken from its tree as soon as
 * it is parsed: the tree itself is let go (a cold read parses one per app and environment).
 */
export interface AppDirectory {
  readonly version: TreeEntry | undefined;
  readonly queued: TreeEntry | undefined;
  readonly locks: TreeEntry | undefined;
  readonly deploymentRecord: DeploymentRecordBlobs;
}

export function appDirectoryOf(tree: Tree): AppDirectory {
  const fileOid = (name: string) => {
    const entry = tree.get(name);
    return entry && (entry.kind === 'file' || entry.kind === 'symlink') ? entry.oid : undefined;
  };
  const deploymentRecord: { deployedBy?: string; deployedByEmail?: string; deployedAt?: string } = {};
  const deployedBy = fileOid('deployed_by');
  const deployedByEmail = fileOid('deployed_by_email');
  const deployedAt = fileOid('deployed_at_utc');
  if (deployedBy) deploymentRecord.deployedBy = deployedBy;
  if (deployedByEmail) deploymentRecord.deployedByEmail = deployedByEmail;
  if (deployedAt) deploymentRecord.deployedAt = deployedAt;
  return {
    version: tree.get('version'),
    queued: tree.get('queued_version'),
    locks: tree.get('locks'),
    deploymentRecord,
  };
}

/** The blob ids of an app directory's version symlinks, whose targets the walk reads. */
export function versionLinkOids(directory: AppDirectory): string[] {
  const oids: string[] = [];
  for (const link of [directory.version, directory.queued]) {
    if (link?.kind === 'symlink') oids.push(link.oid);
  }
  return oids;
}

/** An app's directory in an environment, from its entries, its symlinks' targets and its locks. */
export function appInEnvironmentOf(
  directory: AppDirectory,
  path: string,
  linkTexts: ReadonlyMap<string, BlobText>,
  locks: Readable<LockMap>,
): RawAppInEnvironment {
  const link = (entry: TreeEntry | undefined): VersionLink | Unreadable | undefined => {
    if (!entry) return undefined;
    if (entry.kind !== 'symlink') return { mode: entry.mode, target: '' };
    const text = linkTexts.get(entry.oid);
    if (text?.ok === false) {
      return { ok: false, file: `${path}/${entry.name}`, reason: linkTooLarge(text.size) };
    }
    return { mode: entry.mode, target: text?.text ?? '' };
  };
  return {
    version: link(directory.version),
    queued: link(directory.queued),
    locks,
    deploymentRecord: directory.deploymentRecord,
  };
}

/** An app entry in an environment that cannot be read: everything an operation would need of it fails. */
export function unreadableApp(unreadable: Unreadable): RawAppInEnvironment {
  return { version: unreadable, queued: unreadable, locks: unreadable, deploymentRecord: {} };
}

/** An app's state as the walk would have read it; undefined when part of it is unreadable. */
export function rawAppInEnvironment(app: string, state: AppInEnvironment): RawAppInEnvironment | undefined {
  const { deployedVersion, queuedVersion, locks } = state;
  if (!deployedVersion.ok || !queuedVersion.ok || !locks.ok) return undefined;
  const link = (version: number | undefined): VersionLink | undefined =>
    version === undefined ? undefined : { mode: SYMLINK_MODE, target: releaseLink(app, version) };
  return {
    version: link(deployedVersion.value),
    queued: link(queuedVersion.value),
    locks,
    deploymentRecord: state.deploymentRecord,
  };
}

/** An environment as the snapshot has it: its apps' version links checked against the releases. */
export function assembleEnvironment(
  name: string,
  raw: RawEnvironment,
  applications: ReadonlyMap<string, Application>,
): Environment {
  const apps = new Map<string, AppInEnvironment>();
  const check = (link: VersionLink | Unreadable | undefined, file: string, app: string) =>
    link !== undefined && 'ok' in link ? link : checkVersionLink(link, file, app, applications);
  for (const [app, state] of raw.applications) {
    const path = `environments/${name}/applications/${app}`;
    apps.set(app, {
      deployedVersion: check(state.version, `${path}/version`, app),
      queuedVersion: check(state.queued, `${path}/queued_version`, app),
      locks: state.locks,
      deploymentRecord: state.deploymentRecord,
    });
  }
  return {
    name,
    config: raw.config,
    locks: raw.locks,
    teamLocks: raw.teamLocks,
    applications: sortedMap(apps),
  };
}

/** The Unreadable value of a tree that could not be read; anything else (I/O) is thrown on. */
export function unreadableTree(error: unknown): Unreadable {
  if (error instanceof UnreadableTreeError) return { ok: false, file: error.file, reason: error.reason };
  throw error;
}

/** `map` in ascending order of its keys: itself when it already is (git's tree order mostly is). */
export function sortedMap<V>(map: Map<string, V>): Map<string, V> {
  let previous: string | undefined;
  for (const key of map.keys()) {
    if (previous !== undefined && previous > key) {
      return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    previous = key;
  }
  return map;
}

export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
