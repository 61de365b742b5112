// Deploying one app to one environment by hand, with a choice of what a lock means.
import { AppError } from '../domain/errors.js';
import type { WritePlan } from './changes.js';
import { type DeploymentContext, deploymentChanges, queuedDeploymentChanges } from './deploymentChanges.js';
import type { Environment, Lock, Snapshot } from './model.js';
import { requireApplication, requireEnvironment, requireLayout } from './problems.js';
import { loadedManifests, mustRead } from './readable.js';
import { cleanupAfterDeployments } from './retention.js';
import { locksInForce } from './timedLocks.js';

export type LockBehavior = 'record' | 'fail' | 'ignore';

export interface DeploymentRequest {
  readonly environment: string;
  readonly app: string;
  readonly version: number;
  readonly lockBehavior: LockBehavior;
}

/** `queued`: a lock held it back and `queued_version` was written; `locked`: nothing written. */
export type DeploymentResult =
  | { readonly outcome: 'deployed' | 'queued' }
  | { readonly outcome: 'locked'; readonly locks: LocksInTheWay };

export interface LocksInTheWay {
  readonly environmentLocks: readonly Lock[];
  readonly appLocks: readonly Lock[];
  readonly teamLocks: readonly Lock[];
}

export function planDeployment(
  snapshot: Snapshot,
  request: DeploymentRequest,
  context: DeploymentContext & { readonly trailers: string; readonly releasesKept: number },
): WritePlan<DeploymentResult> {
  const { environment: environmentName, app, version } = request;
  requireLayout(snapshot);
  requireEnvironment(snapshot, environmentName);
  requireApplication(snapshot, app);
  const environment = snapshot.environments.get(environmentName);
  if (!environment) {
    throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named '${environmentName}' exists.`);
  }
  const release = snapshot.applications.get(app)?.releases.get(version);
  if (!release) throw new AppError('RELEASE_NOT_FOUND', `Release ${version} of '${app}' does not exist.`);
  const manifestBlobId = loadedManifests(release).get(environmentName);
  if (manifestBlobId === undefined) {
    throw new AppError(
      'RELEASE_NOT_IN_ENVIRONMENT',
      `Release ${version} of '${app}' has no manifest for environment '${environmentName}'.`,
    );
  }

  const team = snapshot.applications.get(app)?.team ?? '';
  const locks = locksInTheWay(environment, app, team, context.time);
  const locked = locks.environmentLocks.length + locks.appLocks.length + locks.teamLocks.length > 0;
  if (locked && request.lockBehavior === 'fail')
    return { changes: [], message: '', result: { outcome: 'locked', locks } };
  if (locked && request.lockBehavior === 'record') {
    const queued = environment.applications.get(app)?.queuedVersion;
    const unchanged = queued?.ok === true && queued.value === version;
    return {
      changes: unchanged ? [] : queuedDeploymentChanges(environmentName, app, version),
      message: `Queued version ${version} of "${app}" in "${environmentName}": it is locked\n\n${context.trailers}`,
      result: { outcome: 'queued' },
    };
  }

  const state = environment.applications.get(app);
  const alreadyDeployed =
    state !== undefined &&
    mustRead(state.deployedVersion) === version &&
    state.queuedVersion.ok &&
    state.queuedVersion.value === undefined;
  if (alreadyDeployed) return { changes: [], message: '', result: { outcome: 'deployed' } };
  const cleanup = cleanupAfterDeployments(
    snapshot,
    { deployed: [{ environment: environmentName, app, version }] },
    context.releasesKept,
  );
  const paragraphs = [
    `deployed version ${version} of "${app}" to "${environmentName}"`,
    ...(cleanup.messageLines.length > 0 ? [cleanup.messageLines.join('\n')] : []),
    context.trailers,
  ];
  return {
    changes: [
      ...deploymentChanges(
        snapshot,
        { environment: environmentName, app, version, manifest: { blobId: manifestBlobId } },
        context,
      ),
      ...cleanup.changes,
    ],
    message: paragraphs.join('\n\n'),
    result: { outcome: 'deployed' },
  };
}

/** The locks that hold back a deployment of `app` in `environment` at `now`: those in force then. */
export function locksInTheWay(environment: Environment, app: string, team: string, now: Date): LocksInTheWay {
  const appState = environment.applications.get(app);
  const teamLocks = team ? environment.teamLocks.get(team) : undefined;
  return {
    environmentLocks: locksInForce(mustRead(environment.locks), now),
    appLocks: appState ? locksInForce(mustRead(appState.locks), now) : [],
    teamLocks: teamLocks ? locksInForce(mustRead(teamLocks), now) : [],
  };
}
