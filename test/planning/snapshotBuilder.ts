// Builds planner `Snapshot`s from a compact description, and a few helpers around them.
// Pure data: no git, no filesystem. Paths in `Unreadable` values follow manifest-repo.md.

import { parseDeployWindows } from '../../src/planning/deployWindows.js';
import type {
  AppInEnvironment,
  Application,
  DeployWindow,
  Environment,
  EnvironmentConfig,
  Lock,
  LockMap,
  Problem,
  Readable,
  Release,
  Snapshot,
  Unreadable,
} from '../../src/planning/model.js';

/** Marks a value as unreadable (corrupt) in the description. */
export const CORRUPT = 'corrupt' as const;
type Corrupt = typeof CORRUPT;

export interface UpstreamSpec {
  readonly latest?: boolean;
  readonly environment?: string;
}

export interface AppInEnvironmentSpec {
  /** Deployed version (the `version` symlink); absent: not deployed. */
  readonly version?: number | Corrupt;
  readonly queued?: number | Corrupt;
  /** Application locks in this environment (by id: `lock(id)`). */
  readonly locks?: readonly LockSpec[] | Corrupt;
}

/** A lock id (the lock is `lock(id)`), or a lock as it is. */
export type LockSpec = string | Lock;

export interface EnvironmentSpec {
  /** Absent or null: `upstream` absent or null in config.json. */
  readonly upstream?: UpstreamSpec | null;
  readonly group?: string;
  /** `deployWindows` of config.json, as JSON (read as the reader reads it). */
  readonly deployWindows?: unknown;
  /** `CORRUPT`: config.json cannot be read (the other config fields are ignored). */
  readonly config?: Corrupt;
  /** Environment locks. */
  readonly locks?: readonly LockSpec[] | Corrupt;
  /** Team -> its locks in this environment. */
  readonly teamLocks?: Readonly<Record<string, readonly LockSpec[] | Corrupt>>;
  readonly apps?: Readonly<Record<string, AppInEnvironmentSpec>>;
}

export interface ApplicationSpec {
  /** Absent: no team file (team ""). */
  readonly team?: string;
  /** Release number -> the environments the release has a manifest for. */
  readonly releases?: Readonly<Record<number, readonly string[]>>;
  /** Release numbers that are undeploy versions. */
  readonly undeployVersions?: readonly number[];
}

export interface SnapshotSpec {
  readonly commitId?: string | null;
  /** Entries the snapshot could not model; none when absent. */
  readonly problems?: readonly Problem[];
  readonly environments?: Readonly<Record<string, EnvironmentSpec>>;
  readonly applications?: Readonly<Record<string, ApplicationSpec>>;
}

export const LATEST: UpstreamSpec = { latest: true };
/** The instant the planner tests plan at, unless they say otherwise. */
export const NOW = new Date('2026-11-26T10:00:00.000Z');
export const from = (environment: string): UpstreamSpec => ({ environment });

/** The blob id the builder gives the manifest of `app` release `version` for `environment`. */
export function blobId(app: string, version: number, environment: string): string {
  return `blob:${app}@${version}:${environment}`;
}

export function lock(lockId: string): Lock {
  return {
    lockId,
    message: `message of ${lockId}`,
    createdAt: '2026-11-20T09:00:00Z',
    createdByName: 'Ana',
    createdByEmail: 'ana@example.com',
  };
}

export function configFile(environment: string): string {
  return `environments/${environment}/config.json`;
}
export function environmentLocksDir(environment: string): string {
  return `environments/${environment}/locks`;
}
export function teamLocksDir(environment: string, team: string): string {
  return `environments/${environment}/teams/${team}/locks`;
}
export function appLocksDir(environment: string, app: string): string {
  return `environments/${environment}/applications/${app}/locks`;
}
export function versionFile(environment: string, app: string): string {
  return `environments/${environment}/applications/${app}/version`;
}
export function queuedVersionFile(environment: string, app: string): string {
  return `environments/${environment}/applications/${app}/queued_version`;
}

function ok<T>(value: T): Readable<T> {
  return { ok: true, value };
}

function unreadable(file: string): Unreadable {
  return { ok: false, file, reason: `test: ${file} is corrupt` };
}

function lockMap(specs: readonly LockSpec[] | Corrupt | undefined, file: string): Readable<LockMap> {
  if (specs === CORRUPT) return unreadable(file);
  // Inserted in the order given, so that tests can check the planner sorts by lock id.
  return ok(
    new Map(
      (specs ?? [])
        .map((spec) => (typeof spec === 'string' ? lock(spec) : spec))
        .map((l) => [l.lockId, l] as const),
    ),
  );
}

function version(value: number | Corrupt | undefined, file: string): Readable<number | undefined> {
  return value === CORRUPT ? unreadable(file) : ok(value);
}

function config(name: string, spec: EnvironmentSpec): Readable<EnvironmentConfig> {
  if (spec.config === CORRUPT) return unreadable(configFile(name));
  const raw: Record<string, unknown> = {};
  if (spec.upstream !== undefined) raw.upstream = spec.upstream === null ? null : { ...spec.upstream };
  if (spec.group !== undefined) raw.environmentGroup = spec.group;
  if (spec.deployWindows !== undefined) raw.deployWindows = spec.deployWindows;
  const windows = parseDeployWindows(spec.deployWindows);
  const upstream =
    spec.upstream === undefined || spec.upstream === null
      ? null
      : { latest: spec.upstream.latest === true, environment: spec.upstream.environment };
  const deployWindows: Readable<readonly DeployWindow[]> = windows.ok
    ? ok(windows.windows)
    : { ok: false, file: configFile(name), reason: windows.reason };
  return ok({ upstream, environmentGroup: spec.group, deployWindows, raw });
}

function environment(name: string, spec: EnvironmentSpec): Environment {
  const applications = new Map<string, AppInEnvironment>();
  for (const [app, appSpec] of Object.entries(spec.apps ?? {})) {
    applications.set(app, {
      deployedVersion: version(appSpec.version, versionFile(name, app)),
      queuedVersion: version(appSpec.queued, queuedVersionFile(name, app)),
      deploymentRecord: {},
      locks: lockMap(appSpec.locks, appLocksDir(name, app)),
    });
  }
  const teamLocks = new Map<string, Readable<LockMap>>();
  for (const [team, ids] of Object.entries(spec.teamLocks ?? {})) {
    teamLocks.set(team, lockMap(ids, teamLocksDir(name, team)));
  }
  return {
    name,
    config: config(name, spec),
    locks: lockMap(spec.locks, environmentLocksDir(name)),
    teamLocks,
    applications,
  };
}

function application(name: string, spec: ApplicationSpec): Application {
  const releases = new Map<number, Release>();
  let latestRelease: number | undefined;
  for (const [key, environments] of Object.entries(spec.releases ?? {})) {
    const releaseVersion = Number(key);
    releases.set(releaseVersion, {
      version: releaseVersion,
      manifests: new Map(environments.map((env) => [env, blobId(name, releaseVersion, env)] as const)),
      undeploy: spec.undeployVersions?.includes(releaseVersion) === true,
    });
    if (latestRelease === undefined || releaseVersion > latestRelease) latestRelease = releaseVersion;
  }
  return { name, team: spec.team ?? '', releases, latestRelease };
}

export function buildSnapshot(spec: SnapshotSpec): Snapshot {
  return {
    commitId: spec.commitId === undefined ? 'c0ffee' : spec.commitId,
    environments: new Map(
      Object.entries(spec.environments ?? {}).map(([name, env]) => [name, environment(name, env)] as const),
    ),
    applications: new Map(
      Object.entries(spec.applications ?? {}).map(([name, app]) => [name, application(name, app)] as const),
    ),
    problems: spec.problems ?? [],
  };
}

/**
 * Freezes a snapshot in place, deeply: plain objects and arrays are frozen, and every Map's
 * `set`, `delete` and `clear` throw. Returns the same snapshot.
 */
export function deepFreeze<T>(value: T): T {
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (node instanceof Map) {
      for (const method of ['set', 'delete', 'clear']) {
        Object.defineProperty(node, method, {
          value: () => {
            throw new TypeError(`the snapshot was mutated (Map.${method})`);
          },
        });
      }
      for (const [key, entry] of node) {
        visit(key);
        visit(entry);
      }
    } else {
      for (const entry of Object.values(node)) visit(entry);
    }
    Object.freeze(node);
  };
  visit(value);
  return value;
}
