// The release train planner: (snapshot, request) -> plan. The prognosis returns the plan,
// the train commits exactly it. Pure: no fs, git, clock or logger ("now" is part of the request).
import { deployWindowState } from './deployWindows.js';
import type { Environment, Lock, Snapshot } from './model.js';
import {
  requireApplication,
  requireEnvironment,
  requireEveryApplication,
  requireLayout,
} from './problems.js';
import { compareNames, mustRead } from './readable.js';
import { resolveTarget, type TargetType } from './resolveTarget.js';
import { locksInForce } from './timedLocks.js';

export interface ReleaseTrainRequest {
  readonly target: string;
  readonly targetType: TargetType;
  /** Only this team's apps; apps of other teams are left out entirely. */
  readonly team?: string;
  /**
   * The repo as of `sourceGitTag`: candidate apps and their source versions are read from it,
   * everything else from the main snapshot. Absent: the main snapshot is the source too.
   */
  readonly sourceSnapshot?: Snapshot;
  /**
   * The teams the caller is in (TEAMS_FILE); apps of other teams are skipped with
   * NO_TEAM_PERMISSION. Absent: no team restriction. Apps without a team are never restricted.
   */
  readonly callerTeams?: ReadonlySet<string>;
  /**
   * The instant the train runs at: timed locks block only while in force, deploy windows open
   * and close (windows.md). The service passes its clock.
   */
  readonly now: Date;
}

export type TrainSource =
  | { readonly kind: 'latest' }
  | { readonly kind: 'environment'; readonly name: string };

export type AppOutcome =
  | {
      readonly kind: 'deploy';
      readonly version: number;
      /** Blob id of the release's manifests.yaml for the target environment. */
      readonly manifestBlobId: string;
      readonly previousVersion: number | undefined;
      /** Present when the version deployed is an undeploy version (lifecycle.md). */
      readonly undeploy?: true;
    }
  | { readonly kind: 'skip'; readonly cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' }
  | { readonly kind: 'skip'; readonly cause: 'APP_ALREADY_IN_UPSTREAM_VERSION'; readonly version: number }
  | { readonly kind: 'skip'; readonly cause: 'APP_IS_LOCKED'; readonly locks: readonly Lock[] }
  | { readonly kind: 'skip'; readonly cause: 'APP_DOES_NOT_EXIST_IN_ENV' }
  | { readonly kind: 'skip'; readonly cause: 'NO_TEAM_PERMISSION'; readonly team: string }
  | {
      readonly kind: 'skip';
      readonly cause: 'TEAM_IS_LOCKED';
      readonly team: string;
      readonly locks: readonly Lock[];
    };

export interface AppPlan {
  readonly app: string;
  readonly outcome: AppOutcome;
}

export type EnvironmentOutcome =
  | { readonly kind: 'skipped'; readonly cause: 'ENV_IS_LOCKED'; readonly locks: readonly Lock[] }
  | {
      readonly kind: 'skipped';
      readonly cause: 'ENV_OUTSIDE_DEPLOY_WINDOW';
      /** RFC 3339 UTC; undefined when no window opens within the next 15 days. */
      readonly nextWindowStart: string | undefined;
    }
  | { readonly kind: 'skipped'; readonly cause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND'; readonly upstream: string }
  | {
      readonly kind: 'skipped';
      readonly cause:
        | 'ENV_HAS_NO_UPSTREAM'
        | 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV'
        | 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV';
    }
  | { readonly kind: 'train'; readonly source: TrainSource; readonly apps: readonly AppPlan[] };

export interface EnvironmentPlan {
  readonly environment: string;
  readonly outcome: EnvironmentOutcome;
}

export interface ReleaseTrainPlan {
  readonly target: string;
  readonly targetType: TargetType;
  readonly resolvedType: 'environment' | 'environmentGroup';
  readonly team: string | undefined;
  /** The commit the plan was made on. */
  readonly baseCommitId: string | null;
  /** In ascending byte order of the environment names. */
  readonly environments: readonly EnvironmentPlan[];
}

export interface ReleaseRef {
  readonly app: string;
  readonly version: number;
}

export type ReleaseTrainOutcome =
  | { readonly kind: 'planned'; readonly plan: ReleaseTrainPlan }
  | { readonly kind: 'targetNotFound'; readonly target: string; readonly targetType: TargetType }
  /** The plan needs the manifests of these releases, which the snapshot has not read yet. */
  | { readonly kind: 'needsReleases'; readonly releases: readonly ReleaseRef[] }
  /** Source versions (of `sourceSnapshot`) that the tip no longer has: removed since (lifecycle.md). */
  | { readonly kind: 'releasesRemoved'; readonly releases: readonly ReleaseRef[] };

export interface Deployment {
  readonly environment: string;
  readonly app: string;
  readonly version: number;
  readonly manifestBlobId: string;
}

/** Throws CorruptRepoError when the data it needs is corrupt. */
export function planReleaseTrain(snapshot: Snapshot, request: ReleaseTrainRequest): ReleaseTrainOutcome {
  requireLayout(snapshot);
  if (request.sourceSnapshot) requireLayout(request.sourceSnapshot);
  const resolved = resolveTarget(snapshot, request.target, request.targetType);
  if (resolved.kind === 'notFound') {
    return { kind: 'targetNotFound', target: request.target, targetType: request.targetType };
  }
  const source = request.sourceSnapshot ?? snapshot;
  const missing: ReleaseRef[] = [];
  const removed: ReleaseRef[] | undefined = request.sourceSnapshot ? [] : undefined;
  const environments = resolved.environments.map((name) => ({
    environment: name,
    outcome: planEnvironment(snapshot, source, name, request, missing, removed),
  }));
  if (removed && removed.length > 0) {
    const unique = new Map(removed.map((release) => [`${release.app}/${release.version}`, release]));
    return { kind: 'releasesRemoved', releases: [...unique.values()] };
  }
  if (missing.length > 0) {
    const unique = new Map(missing.map((release) => [`${release.app}/${release.version}`, release]));
    return { kind: 'needsReleases', releases: [...unique.values()] };
  }
  return {
    kind: 'planned',
    plan: {
      target: request.target,
      targetType: request.targetType,
      resolvedType: resolved.resolvedType,
      team: request.team,
      baseCommitId: snapshot.commitId,
      environments,
    },
  };
}

/** Every deployment of a plan, in plan order. */
export function deploymentsOf(plan: ReleaseTrainPlan): Deployment[] {
  const deployments: Deployment[] = [];
  for (const { environment, outcome } of plan.environments) {
    if (outcome.kind !== 'train') continue;
    for (const { app, outcome: appOutcome } of outcome.apps) {
      if (appOutcome.kind === 'deploy') {
        deployments.push({
          environment,
          app,
          version: appOutcome.version,
          manifestBlobId: appOutcome.manifestBlobId,
        });
      }
    }
  }
  return deployments;
}

function planEnvironment(
  snapshot: Snapshot,
  source: Snapshot,
  environmentName: string,
  { team, callerTeams, now }: ReleaseTrainRequest,
  missing: ReleaseRef[],
  removed: ReleaseRef[] | undefined,
): EnvironmentOutcome {
  const environment = snapshot.environments.get(environmentName) as Environment;
  const { upstream, deployWindows } = mustRead(environment.config);
  if (upstream === null) return { kind: 'skipped', cause: 'ENV_HAS_NO_UPSTREAM' };
  const upstreamEnvironment = upstream.environment;
  if (!upstream.latest && !upstreamEnvironment) {
    return { kind: 'skipped', cause: 'ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV' };
  }
  if (upstream.latest && upstreamEnvironment) {
    return { kind: 'skipped', cause: 'ENV_HAS_BOTH_UPSTREAM_LATEST_AND_UPSTREAM_ENV' };
  }
  if (upstreamEnvironment) {
    // An upstream the snapshot could not read is not "not found".
    requireEnvironment(snapshot, upstreamEnvironment);
    requireEnvironment(source, upstreamEnvironment);
  }
  if (upstreamEnvironment && !snapshot.environments.has(upstreamEnvironment)) {
    return { kind: 'skipped', cause: 'UPSTREAM_ENV_CONFIG_NOT_FOUND', upstream: upstreamEnvironment };
  }
  const environmentLocks = locksInForce(mustRead(environment.locks), now);
  if (environmentLocks.length > 0)
    return { kind: 'skipped', cause: 'ENV_IS_LOCKED', locks: environmentLocks };
  // An invalid window fails the train (a corrupt config.json), never reads as "always open".
  const window = deployWindowState(mustRead(deployWindows), now);
  if (!window.open) {
    return {
      kind: 'skipped',
      cause: 'ENV_OUTSIDE_DEPLOY_WINDOW',
      nextWindowStart: window.nextStart?.toISOString(),
    };
  }

  const trainSource: TrainSource = upstreamEnvironment
    ? { kind: 'environment', name: upstreamEnvironment }
    : { kind: 'latest' };
  const apps: AppPlan[] = [];
  for (const app of candidateApps(source, trainSource)) {
    // Its team and releases are needed, even to leave it out for another team.
    requireApplication(snapshot, app);
    requireApplication(source, app);
    const appTeam = snapshot.applications.get(app)?.team ?? source.applications.get(app)?.team ?? '';
    // Left out before anything of the app is read: another team's corrupt data is not this train's concern.
    if (team !== undefined && appTeam !== team) continue;
    apps.push({
      app,
      outcome: planApp(
        snapshot,
        environment,
        app,
        appTeam,
        readSourceVersion(source, trainSource, app),
        callerTeams,
        now,
        missing,
        removed,
      ),
    });
  }
  return { kind: 'train', source: trainSource, apps };
}

/** The candidate apps of a train, in ascending byte order. */
function candidateApps(source: Snapshot, trainSource: TrainSource): string[] {
  // `latest` takes every application: one the snapshot could not read may be among them.
  if (trainSource.kind === 'latest') requireEveryApplication(source);
  const apps =
    trainSource.kind === 'latest'
      ? source.applications.keys()
      : (source.environments.get(trainSource.name)?.applications.keys() ?? []);
  return [...apps].sort(compareNames);
}

/** The version a train takes for an app: upstream's deployed version, or the latest release. */
function readSourceVersion(source: Snapshot, trainSource: TrainSource, app: string): number | undefined {
  if (trainSource.kind === 'latest') return source.applications.get(app)?.latestRelease;
  const state = source.environments.get(trainSource.name)?.applications.get(app);
  return state ? mustRead(state.deployedVersion) : undefined;
}

function planApp(
  snapshot: Snapshot,
  environment: Environment,
  app: string,
  appTeam: string,
  sourceVersion: number | undefined,
  callerTeams: ReadonlySet<string> | undefined,
  now: Date,
  missing: ReleaseRef[],
  /** Collects source versions the tip no longer has; undefined: the source is the tip. */
  removed: ReleaseRef[] | undefined,
): AppOutcome {
  const fromLatest = mustRead(environment.config).upstream?.latest === true;
  if (sourceVersion === undefined && !fromLatest)
    return { kind: 'skip', cause: 'APP_HAS_NO_VERSION_IN_UPSTREAM_ENV' };
  const inTarget = environment.applications.get(app);
  const deployedVersion = inTarget ? mustRead(inTarget.deployedVersion) : undefined;
  if (sourceVersion !== undefined && deployedVersion === sourceVersion) {
    return { kind: 'skip', cause: 'APP_ALREADY_IN_UPSTREAM_VERSION', version: sourceVersion };
  }
  const appLocks = inTarget ? locksInForce(mustRead(inTarget.locks), now) : [];
  if (appLocks.length > 0) return { kind: 'skip', cause: 'APP_IS_LOCKED', locks: appLocks };

  // With `latest`, an app without releases has nothing to deploy here either.
  const release =
    sourceVersion === undefined ? undefined : snapshot.applications.get(app)?.releases.get(sourceVersion);
  if (removed && sourceVersion !== undefined && !release && snapshot.applications.has(app)) {
    // An error, not a skip (lifecycle.md): the tag names a version retention removed since.
    removed.push({ app, version: sourceVersion });
    return { kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' };
  }
  if (release && release.manifests === undefined) {
    // Not read yet: the caller reads it and plans again. The outcome here is a placeholder.
    missing.push({ app, version: release.version });
    return { kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' };
  }
  const manifestBlobId = release?.manifests?.get(environment.name);
  if (sourceVersion === undefined || manifestBlobId === undefined)
    return { kind: 'skip', cause: 'APP_DOES_NOT_EXIST_IN_ENV' };

  // security.md: after APP_DOES_NOT_EXIST_IN_ENV, before TEAM_IS_LOCKED.
  if (callerTeams !== undefined && appTeam !== '' && !callerTeams.has(appTeam)) {
    return { kind: 'skip', cause: 'NO_TEAM_PERMISSION', team: appTeam };
  }
  if (appTeam !== '') {
    const teamLocksEntry = environment.teamLocks.get(appTeam);
    const teamLocks = teamLocksEntry ? locksInForce(mustRead(teamLocksEntry), now) : [];
    if (teamLocks.length > 0)
      return { kind: 'skip', cause: 'TEAM_IS_LOCKED', team: appTeam, locks: teamLocks };
  }
  return {
    kind: 'deploy',
    version: sourceVersion,
    manifestBlobId,
    previousVersion: deployedVersion,
    ...(release?.undeploy === true ? { undeploy: true as const } : {}),
  };
}
