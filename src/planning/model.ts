// The manifest repo at one commit, as plain immutable data: what the planner reads.
// Values that could not be read (corrupt data) are kept as `Unreadable`, so that only the
// operations that touch them fail, with the file named.

export interface Lock {
  readonly lockId: string;
  readonly message: string;
  readonly createdAt: string;
  readonly createdByName: string;
  readonly createdByEmail: string;
  readonly ciLink?: string;
  readonly suggestedLifetime?: string;
  /**
   * A timed lock (windows.md) is in force only in [validFrom, validUntil): RFC 3339 as written,
   * checked by the reader (a bound that does not parse, or an empty interval, is a corrupt lock).
   */
  readonly validFrom?: string;
  readonly validUntil?: string;
}

export interface Unreadable {
  readonly ok: false;
  /** Path of the offending file inside the repo. */
  readonly file: string;
  readonly reason: string;
}

export type Readable<T> = { readonly ok: true; readonly value: T } | Unreadable;

export type LockMap = ReadonlyMap<string, Lock>;

/** `upstream: null` is "absent or null"; the two fields say which of the other states it is. */
export interface EnvironmentConfig {
  readonly upstream: { readonly latest: boolean; readonly environment: string | undefined } | null;
  readonly environmentGroup: string | undefined;
  /**
   * `deployWindows` (windows.md); empty: always open. Unreadable on its own, so that an invalid
   * window fails only what needs it (a train to the environment), naming the config.json.
   */
  readonly deployWindows: Readable<readonly DeployWindow[]>;
  /** The parsed config.json, unknown fields included. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A recurring deploy window: [startMinute, endMinute) of the zone's wall clock on each of its days. */
export interface DeployWindow {
  /** ISO weekdays: 1 (Monday) to 7 (Sunday), ascending. */
  readonly days: readonly number[];
  /** Minutes after midnight, 0 to 1439. */
  readonly startMinute: number;
  /** Minutes after midnight, up to 1440 (24:00: until the end of the day). */
  readonly endMinute: number;
  /** An IANA time zone name the runtime knows. */
  readonly timeZone: string;
}

export interface AppInEnvironment {
  readonly deployedVersion: Readable<number | undefined>;
  readonly queuedVersion: Readable<number | undefined>;
  readonly locks: Readable<LockMap>;
  /** Blob ids of deployed_by, deployed_by_email and deployed_at_utc, read only when shown. */
  readonly deploymentRecord: DeploymentRecordBlobs;
}

export interface DeploymentRecordBlobs {
  readonly deployedBy?: string;
  readonly deployedByEmail?: string;
  readonly deployedAt?: string;
}

export interface Environment {
  readonly name: string;
  readonly config: Readable<EnvironmentConfig>;
  readonly locks: Readable<LockMap>;
  /** Team name -> that team's locks in this environment. */
  readonly teamLocks: ReadonlyMap<string, Readable<LockMap>>;
  readonly applications: ReadonlyMap<string, AppInEnvironment>;
}

export interface Release {
  readonly version: number;
  /**
   * Environment name -> git blob id of the release's manifests.yaml for it. Undefined while not
   * read yet: the planner then asks for the release (see ReleaseTrainOutcome `needsReleases`).
   */
  readonly manifests: ReadonlyMap<string, string> | undefined;
  /**
   * Whether it is an undeploy version (a file `undeploy` in its directory, lifecycle.md). Undefined
   * while not read yet: it is read with the manifests, or alone (`loadUndeployMarkers`).
   */
  readonly undeploy: boolean | undefined;
}

export interface Application {
  readonly name: string;
  /** "" when the app has no team file. */
  readonly team: string;
  readonly releases: ReadonlyMap<number, Release>;
  readonly latestRelease: number | undefined;
}

/**
 * An entry of the repo that cannot be modelled (a file where a directory belongs, a name that
 * breaks the naming rules, a malformed tree): it is left out of the snapshot's maps, and `hides`
 * says what is unknown because of it, so that the operations that depend on it fail
 * (planning/problems.ts) instead of answering without it.
 */
export interface Problem {
  /** Path of the entry inside the repo (control characters of a name escaped). */
  readonly file: string;
  readonly reason: string;
  readonly hides: ProblemScope;
}

export type ProblemScope =
  /** `environments` itself cannot be read: every environment is unknown. */
  | { readonly kind: 'environments' }
  /** `applications` itself cannot be read: every application is unknown. */
  | { readonly kind: 'applications' }
  /** One environment; `name` is undefined when the entry's name is not a valid environment name. */
  | { readonly kind: 'environment'; readonly name: string | undefined }
  /** One application (its team, its releases). */
  | { readonly kind: 'application'; readonly name: string }
  /** An entry no request can name (an app or a team with an invalid name): nothing depends on it. */
  | { readonly kind: 'ignored' };

export interface Snapshot {
  /** The commit this snapshot was read from; null for a branch without commits. */
  readonly commitId: string | null;
  readonly environments: ReadonlyMap<string, Environment>;
  readonly applications: ReadonlyMap<string, Application>;
  /** In ascending order of `file`. */
  readonly problems: readonly Problem[];
}
