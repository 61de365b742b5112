// The subcommands of Kuberpult's kuberpult-client, plus our prognosis (cli.md "Subcommands"):
// their flags, and their rules in Kuberpult's order (so an argument vector fails with the message
// Kuberpult gives), then the checks of names that Trainyard's server would refuse anyway. Pure.
import { type FlagSpec, type FlagValues, UsageError } from './flags.js';

export type LockScope =
  | { readonly kind: 'environment'; readonly environment: string }
  | { readonly kind: 'application'; readonly environment: string; readonly application: string }
  | { readonly kind: 'team'; readonly environment: string; readonly team: string }
  | { readonly kind: 'group'; readonly group: string };

export interface TrainCommand {
  readonly kind: 'release-train' | 'prognosis';
  readonly target: string;
  readonly group: boolean;
  readonly team?: string;
  readonly ciLink?: string;
  /** prognosis: write the answer with its plan id, target, type and team to this file. */
  readonly out?: string;
  /** prognosis: ask for the manifest diffs and print them. */
  readonly diff?: boolean;
  /** release-train: the plan a person approved (--plan): the train commits it or nothing (If-Match). */
  readonly approvedPlan?: ApprovedPlan;
}

export interface ApprovedPlan {
  readonly file: string;
  readonly planId: string;
  /** The approved prognosis, to say what differs when the plan changed. */
  readonly envsPrognoses: Readonly<Record<string, unknown>>;
}

/**
 * release-train --plan: target, type and team come from the file, read before anything is sent
 * (planFile.ts); the flags given beside it must agree with it.
 */
export interface PlannedTrainCommand {
  readonly kind: 'planned-release-train';
  readonly planFile: string;
  readonly target?: string;
  /** Given only when --use_env_group_target was. */
  readonly group?: boolean;
  readonly team?: string;
  readonly ciLink?: string;
}

export interface ReleaseCommand {
  readonly kind: 'release';
  readonly application: string;
  /** In the order given; each file is read before anything is sent. */
  readonly manifests: readonly { readonly environment: string; readonly file: string }[];
  readonly team?: string;
  readonly sourceCommitId?: string;
  readonly previousCommitId?: string;
  readonly sourceAuthor?: string;
  readonly sourceMessage?: string;
  readonly version?: number;
  readonly displayVersion?: string;
  readonly ciLink?: string;
}

export type Command =
  | TrainCommand
  | PlannedTrainCommand
  | ReleaseCommand
  | {
      readonly kind: 'create-lock';
      readonly scope: LockScope;
      readonly lockId: string;
      readonly message: string;
      readonly ciLink?: string;
      readonly suggestedLifetime?: string;
      /** RFC 3339: a timed lock (a freeze planned ahead), in force only in [validFrom, validUntil). */
      readonly validFrom?: string;
      readonly validUntil?: string;
    }
  | { readonly kind: 'delete-lock'; readonly scope: LockScope; readonly lockId: string }
  | { readonly kind: 'get-deployment-commit'; readonly environment: string; readonly application: string }
  | { readonly kind: 'get-commit-deployments'; readonly commit: string; readonly out?: string }
  | { readonly kind: 'delete-environment'; readonly environment: string }
  | { readonly kind: 'cleanup-releases'; readonly dryRun: boolean; readonly ciLink?: string };

export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  /** The rules over the parsed flags; throws UsageError. */
  readonly build: (flags: FlagValues) => Command;
}

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LOCK_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,98}$/;
const COMMIT_ID = /^[0-9a-fA-F]{40}$/;
// Kuberpult's, from its frontend's release handler.
const AUTHOR_ID = /^[^<\n]+( <[^@\n]+@[^>\n]+>)?$/;
const LIFETIME = /^[1-9][0-9]*(h|d|w)$/;
const MAX_VERSION = Number.MAX_SAFE_INTEGER;

const string = (name: string, usage: string): FlagSpec => ({ name, kind: 'string', usage });
const bool = (name: string, usage: string): FlagSpec => ({ name, kind: 'bool', usage });
const int = (name: string, usage: string): FlagSpec => ({ name, kind: 'int', usage });

const USE_DEX_AUTH = bool(
  'use_dex_auth',
  "accepted for Kuberpult's scripts; Trainyard always uses the /api/ paths, so it changes nothing",
);
const CI_LINK = string('ci_link', 'the link to the CI run, recorded in the commit (an absolute http(s) URL)');
const LOCK_ID_FLAG = string('lockID', 'the ID of the lock (must be set exactly once)');
const MESSAGE = string('message', 'lock message (must be set at most once)');
const LIFETIME_FLAG = string('suggested_lifetime', 'the suggested lifetime of the lock, e.g. 4h, 2d, 1w');
const VALID_FROM_FLAG = string(
  'valid_from',
  'the lock is in force only from this time on, RFC 3339, e.g. 2026-12-20T00:00:00Z (Trainyard only)',
);
const VALID_UNTIL_FLAG = string(
  'valid_until',
  'the lock is in force only until this time, RFC 3339, e.g. 2027-01-02T00:00:00Z (Trainyard only)',
);
// RFC 3339 with an offset; the server checks that the day exists and that the interval is ahead.
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function checkName(flag: string, value: string, maxLength = 63): void {
  if (value.length > maxLength || !NAME.test(value)) {
    throw new UsageError(
      `the --${flag} value '${value}' must match ${NAME.source} and be at most ${maxLength} characters`,
    );
  }
}

function checkLockId(value: string): void {
  if (!LOCK_ID.test(value)) {
    throw new UsageError(
      `the --lockID value '${value}' must be 2 to 99 characters of [A-Za-z0-9._-], not starting with . or -`,
    );
  }
}

/** One line, an absolute http(s) URL (the server records it as a trailer). */
function checkCiLink(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const oneLine = !/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value);
  if (!url || !oneLine || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    throw new UsageError(`provided invalid --ci_link value '${value}'`);
  }
  return value;
}

function checkTime(flag: string, value: string): string {
  if (!RFC_3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(
      `provided invalid --${flag} value '${value}': it must be an RFC 3339 time, e.g. 2026-12-20T00:00:00Z`,
    );
  }
  return value;
}

function checkLifetime(value: string): string {
  if (!LIFETIME.test(value)) throw new UsageError(`provided invalid --suggested_lifetime value '${value}'`);
  return value;
}

/** A Go StringVar of Kuberpult's (empty means not given), given at most once here. */
function requiredString(flags: FlagValues, name: string, missing: string): string {
  const value = flags.atMostOnce(name);
  if (!value) throw new UsageError(missing);
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [key in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [key in K]: V });
}

function trainSubcommand(kind: TrainCommand['kind']): Subcommand {
  const train = kind === 'release-train';
  return {
    name: kind,
    summary: train
      ? 'run a release train to an environment or environment group'
      : 'show what a release train would deploy and skip, writing nothing (Trainyard only)',
    flags: [
      string(
        'target-environment',
        train
          ? 'the name of the environment (or group) to target with the release train (must be set exactly once, unless --plan names it)'
          : 'the name of the environment (or group) to target with the release train (must be set exactly once)',
      ),
      string('team', "only this team's apps are taken into account (must be set at most once)"),
      ...(train ? [CI_LINK] : []),
      bool('use_env_group_target', 'the target is an environment group'),
      USE_DEX_AUTH,
      ...(train
        ? [
            string(
              'plan',
              'a plan file of `trainyard prognosis --out`: run exactly that plan or nothing (its target, type and team; flags given too must agree)',
            ),
          ]
        : [
            string(
              'out',
              'write the prognosis with its plan id, target, type and team to this file (for --plan)',
            ),
            bool('diff', 'show the manifest diff of every app to be deployed'),
          ]),
    ],
    build(flags) {
      const planFile = train ? flags.atMostOnce('plan') : undefined;
      if (planFile !== undefined) return plannedTrain(planFile, flags);
      const target = flags.exactlyOnce('target-environment');
      const team = flags.atMostOnce('team');
      const ciLink = train ? flags.atMostOnce('ci_link') : undefined;
      if (ciLink !== undefined) checkCiLink(ciLink);
      checkName('target-environment', target);
      if (team !== undefined) checkName('team', team);
      // Empty, as --out of get-commit-deployments: not given.
      const out = train ? undefined : flags.atMostOnce('out') || undefined;
      return {
        kind,
        target,
        group: flags.bool('use_env_group_target'),
        ...optional('team', team),
        ...optional('ciLink', ciLink),
        ...optional('out', out),
        ...(!train && flags.bool('diff') ? { diff: true } : {}),
      };
    },
  };
}

/** release-train --plan: the other flags are optional, each checked as without it. */
function plannedTrain(planFile: string, flags: FlagValues): PlannedTrainCommand {
  if (planFile === '') throw new UsageError('the --plan arg must name a file');
  const target = flags.atMostOnce('target-environment');
  const team = flags.atMostOnce('team');
  const ciLink = flags.atMostOnce('ci_link');
  if (ciLink !== undefined) checkCiLink(ciLink);
  if (target !== undefined) checkName('target-environment', target);
  if (team !== undefined) checkName('team', team);
  return {
    kind: 'planned-release-train',
    planFile,
    ...optional('target', target),
    ...(flags.given('use_env_group_target') ? { group: flags.bool('use_env_group_target') } : {}),
    ...optional('team', team),
    ...optional('ciLink', ciLink),
  };
}

const RELEASE: Subcommand = {
  name: 'release',
  summary: 'create a release of an application',
  flags: [
    string('application', 'the name of the application (must be set exactly once)'),
    string('environment', 'an environment to release to (must have --manifest set immediately afterwards)'),
    string('manifest', 'the file with the manifests for it (must be set immediately after --environment)'),
    string('team', 'the team the application belongs to (must be set at most once)'),
    string('source_commit_id', 'the SHA1 hash of the source commit (must be set at most once)'),
    string(
      'previous_commit_id',
      'the SHA1 hash of the previous commit (at most once, only with --source_commit_id)',
    ),
    string('source_author', 'the source author, "Name" or "Name <email>" (must be set at most once)'),
    string('source_message', 'the source commit message (must be set at most once)'),
    int('version', 'the release version, a positive integer (default: one more than the latest)'),
    string('display_version', 'the version shown to people, at most 15 characters'),
    CI_LINK,
    bool('skip_signatures', 'accepted; Trainyard checks no signatures, so this is always the case'),
    USE_DEX_AUTH,
    // Kuberpult's, refused: Trainyard cannot honour them.
    string('signature', 'not supported: Trainyard does not check PGP signatures'),
    int('revision', 'not supported: Trainyard has one release per version'),
    bool('prepublish', 'not supported: Trainyard has no prepublished releases'),
    bool('dry-run', 'not supported: Trainyard cannot compare manifests without creating the release'),
  ],
  build(flags) {
    if (flags.given('signature')) {
      throw new UsageError(
        '--signature is not supported: Trainyard does not check PGP signatures of manifests; leave it out (--skip_signatures is implied)',
      );
    }
    if (flags.given('revision')) {
      throw new UsageError(
        '--revision is not supported: Trainyard has one release per version, without revisions',
      );
    }
    if (flags.bool('prepublish'))
      throw new UsageError('--prepublish is not supported: Trainyard has no prepublished releases');
    if (flags.bool('dry-run')) {
      throw new UsageError(
        '--dry-run is not supported: Trainyard cannot compare manifests without creating the release (nothing was sent)',
      );
    }
    const sequence = flags.sequence;
    sequence.forEach((occurrence, index) => {
      if (occurrence.name === 'environment' && sequence[index + 1]?.name !== 'manifest') {
        throw new UsageError('all --environment args must have a --manifest arg set immediately afterwards');
      }
      if (occurrence.name === 'manifest' && sequence[index - 1]?.name !== 'environment') {
        throw new UsageError('all --manifest args must be set immediately after an --environment arg');
      }
    });

    const application = flags.exactlyOnce('application');
    const environments = flags.all('environment');
    if (environments.length === 0) {
      throw new UsageError('the args --environment and --manifest must be set at least once');
    }
    const team = flags.atMostOnce('team');
    const sourceCommitId = flags.atMostOnce('source_commit_id');
    if (sourceCommitId !== undefined && !COMMIT_ID.test(sourceCommitId)) {
      throw new UsageError(
        'the --source_commit_id arg must be assigned a complete SHA1 commit hash in hexadecimal',
      );
    }
    const previousCommitId = flags.atMostOnce('previous_commit_id');
    if (previousCommitId !== undefined) {
      if (sourceCommitId === undefined) {
        throw new UsageError('the --previous_commit_id arg can be set only if --source_commit_id is set');
      }
      if (!COMMIT_ID.test(previousCommitId)) {
        throw new UsageError(
          'the --previous_commit_id arg must be assigned a complete SHA1 commit hash in hexadecimal',
        );
      }
    }
    const sourceAuthor = flags.atMostOnce('source_author');
    if (sourceAuthor !== undefined && !AUTHOR_ID.test(sourceAuthor)) {
      throw new UsageError(
        `the --source_author must be assigned a proper author identifier, matching the regex ${AUTHOR_ID.source}`,
      );
    }
    const sourceMessage = flags.atMostOnce('source_message');
    const versionText = flags.atMostOnce('version');
    const version = versionText === undefined ? undefined : Number(versionText);
    if (version !== undefined && version <= 0)
      throw new UsageError('the --version arg value must be positive');
    const displayVersion = flags.atMostOnce('display_version');
    if (displayVersion !== undefined && displayVersion.length > 15) {
      throw new UsageError('the --display_version arg must be at most 15 characters long');
    }
    const ciLink = flags.atMostOnce('ci_link');
    if (ciLink !== undefined) checkCiLink(ciLink);

    // Beyond Kuberpult's checks: what the server would refuse.
    checkName('application', application, 70);
    if (version !== undefined && version > MAX_VERSION) {
      throw new UsageError(`the --version arg value must be at most ${MAX_VERSION}`);
    }
    const files = flags.all('manifest');
    const seen = new Set<string>();
    const manifests = environments.map((environment, index) => {
      checkName('environment', environment);
      if (seen.has(environment)) {
        throw new UsageError(`the --environment '${environment}' is given more than once`);
      }
      seen.add(environment);
      return { environment, file: files[index] as string };
    });
    if (team !== undefined) checkName('team', team);
    return {
      kind: 'release',
      application,
      manifests,
      ...optional('team', team),
      ...optional('sourceCommitId', sourceCommitId),
      ...optional('previousCommitId', previousCommitId),
      ...optional('sourceAuthor', sourceAuthor),
      ...optional('sourceMessage', sourceMessage),
      ...optional('version', version),
      ...optional('displayVersion', displayVersion),
      ...optional('ciLink', ciLink),
    };
  },
};

type ScopeKind = LockScope['kind'];

const SCOPE_FLAGS: Record<ScopeKind, readonly FlagSpec[]> = {
  environment: [string('environment', 'the environment (must be set exactly once)')],
  application: [
    string('environment', 'the environment (must be set exactly once)'),
    string('application', 'the application (must be set exactly once)'),
  ],
  team: [
    string('environment', 'the environment (must be set exactly once)'),
    string('team', 'the team (must be set exactly once)'),
  ],
  group: [string('environment-group', 'the environment group (must be set exactly once)')],
};

const SCOPE_NAMES: Record<ScopeKind, string> = {
  environment: 'env',
  application: 'app',
  team: 'team',
  group: 'group',
};

/** The lock's place, after --lockID (Kuberpult checks --lockID first). */
function lockScope(kind: ScopeKind, flags: FlagValues): LockScope {
  switch (kind) {
    case 'environment':
      return { kind, environment: flags.exactlyOnce('environment') };
    case 'application':
      return {
        kind,
        environment: flags.exactlyOnce('environment'),
        application: flags.exactlyOnce('application'),
      };
    case 'team':
      return { kind, environment: flags.exactlyOnce('environment'), team: flags.exactlyOnce('team') };
    case 'group':
      return { kind, group: flags.exactlyOnce('environment-group') };
  }
}

function checkScope(scope: LockScope): void {
  if (scope.kind === 'group') {
    checkName('environment-group', scope.group);
    return;
  }
  checkName('environment', scope.environment);
  if (scope.kind === 'application') checkName('application', scope.application, 70);
  if (scope.kind === 'team') checkName('team', scope.team);
}

function lockSubcommand(action: 'create' | 'delete', kind: ScopeKind): Subcommand {
  const what = {
    environment: 'an environment lock',
    application: 'an application lock in an environment',
    team: 'a team lock in an environment',
    group: 'an environment group lock (the lock in each environment of the group)',
  }[kind];
  if (action === 'delete') {
    return {
      name: `delete-${SCOPE_NAMES[kind]}-lock`,
      summary: `delete ${what}`,
      flags: [...SCOPE_FLAGS[kind], LOCK_ID_FLAG],
      build(flags) {
        const lockId = flags.exactlyOnce('lockID');
        const scope = lockScope(kind, flags);
        checkScope(scope);
        checkLockId(lockId);
        return { kind: 'delete-lock', scope, lockId };
      },
    };
  }
  return {
    name: `create-${SCOPE_NAMES[kind]}-lock`,
    summary: `create (or replace) ${what}`,
    flags: [
      ...SCOPE_FLAGS[kind],
      LOCK_ID_FLAG,
      MESSAGE,
      CI_LINK,
      LIFETIME_FLAG,
      VALID_FROM_FLAG,
      VALID_UNTIL_FLAG,
    ],
    build(flags) {
      const lockId = flags.exactlyOnce('lockID');
      const scope = lockScope(kind, flags);
      const message = flags.atMostOnce('message');
      const ciLink = flags.atMostOnce('ci_link');
      if (ciLink !== undefined) checkCiLink(ciLink);
      const suggestedLifetime = flags.atMostOnce('suggested_lifetime');
      if (suggestedLifetime !== undefined) checkLifetime(suggestedLifetime);
      const validFrom = flags.atMostOnce('valid_from');
      if (validFrom !== undefined) checkTime('valid_from', validFrom);
      const validUntil = flags.atMostOnce('valid_until');
      if (validUntil !== undefined) checkTime('valid_until', validUntil);
      if (
        validFrom !== undefined &&
        validUntil !== undefined &&
        Date.parse(validFrom) >= Date.parse(validUntil)
      ) {
        throw new UsageError('the --valid_from time must be before the --valid_until time');
      }
      // Kuberpult asks a message of team locks only.
      if (kind === 'team' && message === undefined) {
        throw new UsageError('the --message arg is required for lock creation');
      }
      if (kind === 'team' && message === '') {
        throw new UsageError('the --message arg may not be empty for lock creation');
      }
      checkScope(scope);
      checkLockId(lockId);
      return {
        kind: 'create-lock',
        scope,
        lockId,
        message: message ?? '',
        ...optional('ciLink', ciLink),
        ...optional('suggestedLifetime', suggestedLifetime),
        ...optional('validFrom', validFrom),
        ...optional('validUntil', validUntil),
      };
    },
  };
}

const GET_DEPLOYMENT_COMMIT: Subcommand = {
  name: 'get-deployment-commit',
  summary: 'print the source commit of the version of an app deployed in an environment',
  flags: [
    string('environment', 'the environment (must be set exactly once)'),
    string('application', 'the application (must be set exactly once)'),
  ],
  build(flags) {
    const environment = requiredString(
      flags,
      'environment',
      'the environment name must be set with the --environment flag',
    );
    const application = requiredString(
      flags,
      'application',
      'the application name must be set with the --application flag',
    );
    checkName('environment', environment);
    checkName('application', application, 70);
    return { kind: 'get-deployment-commit', environment, application };
  },
};

const GET_COMMIT_DEPLOYMENTS: Subcommand = {
  name: 'get-commit-deployments',
  summary: 'print where the releases built from a commit are deployed, and where they are pending',
  flags: [
    string('commit', 'the commit ID, 40 hexadecimal digits (must be set exactly once)'),
    string('out', 'the file to write the answer to (default: stdout)'),
  ],
  build(flags) {
    const commit = requiredString(flags, 'commit', 'the commit hash must be set with the --commit flag');
    if (!COMMIT_ID.test(commit)) throw new UsageError(`the commit hash: ${commit} is invalid`);
    // Empty, as in Kuberpult: stdout.
    const out = flags.atMostOnce('out') || undefined;
    return { kind: 'get-commit-deployments', commit, ...optional('out', out) };
  },
};

const DELETE_ENVIRONMENT: Subcommand = {
  name: 'delete-environment',
  summary: 'delete an environment with its locks and deployments',
  flags: [string('environment', 'the environment to delete (must be set exactly once)')],
  build(flags) {
    const environment = flags.exactlyOnce('environment');
    checkName('environment', environment);
    return { kind: 'delete-environment', environment };
  },
};

const CLEANUP_RELEASES: Subcommand = {
  name: 'cleanup-releases',
  summary:
    "remove every app's old releases in one commit, as each app's next deployment would (RELEASES_KEPT; Trainyard only)",
  flags: [
    bool('dry-run', 'only show what would be removed; nothing is written'),
    string('ci_link', 'the link to the CI run, recorded in the commit (an absolute http(s) URL)'),
  ],
  build(flags) {
    const dryRun = flags.bool('dry-run');
    const ciLink = flags.atMostOnce('ci_link');
    if (ciLink !== undefined) {
      checkCiLink(ciLink);
      if (dryRun) throw new UsageError('--ci_link is recorded in a commit: a --dry-run makes none');
    }
    return { kind: 'cleanup-releases', dryRun, ...optional('ciLink', ciLink) };
  },
};

export const SUBCOMMANDS: readonly Subcommand[] = [
  RELEASE,
  trainSubcommand('release-train'),
  trainSubcommand('prognosis'),
  ...(['environment', 'application', 'team', 'group'] as const).flatMap((kind) => [
    lockSubcommand('create', kind),
    lockSubcommand('delete', kind),
  ]),
  GET_DEPLOYMENT_COMMIT,
  GET_COMMIT_DEPLOYMENTS,
  DELETE_ENVIRONMENT,
  CLEANUP_RELEASES,
];

export function findSubcommand(name: string): Subcommand | undefined {
  return SUBCOMMANDS.find((subcommand) => subcommand.name === name);
}
