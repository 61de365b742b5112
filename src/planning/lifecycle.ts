// Switching applications off and tidying up (lifecycle.md): the undeploy version, removing an app
// for good or from one environment, and removing old releases of every app at once.
import { AppError } from '../domain/errors.js';
import type { WritePlan } from './changes.js';
import { appPath } from './deploymentChanges.js';
import type { Environment, Release, Snapshot } from './model.js';
import {
  requireApplication,
  requireEnvironment,
  requireEveryEnvironment,
  requireLayout,
} from './problems.js';
import { loadedUndeploy, mustRead, sortedKeys } from './readable.js';
import {
  planCreateRelease,
  type ReleaseContext,
  type ReleaseManifest,
  type ReleaseResult,
} from './releases.js';
import { cleanupOfEveryApp, type RemovedRelease } from './retention.js';

/**
 * The undeploy version: release latest + 1 with the marker file and a manifest of a single space
 * for every environment, auto-deployed (or queued) like any new release. The caller loads the
 * latest release first (its marker decides the 409).
 */
export function planCreateUndeployVersion(
  snapshot: Snapshot,
  app: string,
  context: ReleaseContext & {
    /** A manifests.yaml of a single space: Argo CD removes the app's resources when it applies it. */
    readonly singleSpace: ReleaseManifest;
  },
): WritePlan<ReleaseResult> {
  // Its manifest goes to every environment, and deploys where one takes the latest release.
  const { latest, latestRelease } = latestReleaseOf(snapshot, app);
  if (latestRelease && loadedUndeploy(latestRelease)) {
    throw new AppError(
      'ALREADY_UNDEPLOYED',
      `The latest release of '${app}', ${latest}, is its undeploy version already.`,
      { details: { undeployVersion: latest } },
    );
  }
  const manifests = new Map(
    sortedKeys(snapshot.environments).map((environment) => [environment, context.singleSpace] as const),
  );
  return planCreateRelease(snapshot, { app, manifests, undeploy: true }, context);
}

/**
 * An app's latest release (its number, and the release when there is one), on a snapshot whose
 * layout, app and every environment can be read; else the error that names what cannot.
 */
function latestReleaseOf(snapshot: Snapshot, app: string): { latest?: number; latestRelease?: Release } {
  requireLayout(snapshot);
  requireApplication(snapshot, app);
  requireEveryEnvironment(snapshot);
  const application = snapshot.applications.get(app);
  if (!application) throw new AppError('APPLICATION_NOT_FOUND', `No application named '${app}' exists.`);
  const latest = application.latestRelease;
  return { latest, latestRelease: latest === undefined ? undefined : application.releases.get(latest) };
}

export interface ApplicationDeletion {
  readonly application: string;
  /** The environments it was removed from. */
  readonly environments: readonly string[];
}

/**
 * Removing an app for good: `applications/<app>/` and its directory in every environment, locks
 * included; only once its latest release is its undeploy version and every environment that has
 * the app deployed runs that version. The caller loads the latest release first.
 */
export function planDeleteApplication(
  snapshot: Snapshot,
  app: string,
  trailers: string,
): WritePlan<ApplicationDeletion> {
  // Any environment may run it, one that cannot be read too.
  const { latest, latestRelease } = latestReleaseOf(snapshot, app);
  const undeployVersion = latestRelease && loadedUndeploy(latestRelease) ? latest : undefined;
  const environments = sortedKeys(snapshot.environments).filter((name) =>
    (snapshot.environments.get(name) as Environment).applications.has(app),
  );
  const stillDeployed = environments.filter((name) => {
    const state = (snapshot.environments.get(name) as Environment).applications.get(app);
    const deployed = state ? mustRead(state.deployedVersion) : undefined;
    return deployed !== undefined && deployed !== undeployVersion;
  });
  const quoted = stillDeployed.map((name) => `'${name}'`).join(', ');
  if (undeployVersion === undefined) {
    throw new AppError(
      'APP_STILL_DEPLOYED',
      `The latest release of '${app}' is no undeploy version: create one (POST /api/applications/${app}/undeploy) ` +
        `and let it reach every environment that runs the app${stillDeployed.length > 0 ? ` (${quoted})` : ''} first.`,
      { details: { environments: stillDeployed, undeployVersion: null } },
    );
  }
  if (stillDeployed.length > 0) {
    throw new AppError(
      'APP_STILL_DEPLOYED',
      `'${app}' still runs another version than its undeploy version ${undeployVersion} in ${quoted}: ` +
        'deploy the undeploy version there first.',
      { details: { environments: stillDeployed, undeployVersion } },
    );
  }
  return {
    changes: [
      { kind: 'delete', path: `applications/${app}` },
      ...environments.map((environment) => ({ kind: 'delete' as const, path: appPath(environment, app) })),
    ],
    message: `Deleted application "${app}"\n\n${trailers}`,
    result: { application: app, environments },
  };
}

export interface ApplicationRemovalFromEnvironment {
  readonly environment: string;
  readonly application: string;
  /** false: it was not there (nothing written). */
  readonly removed: boolean;
}

/** Removing an app from one environment (its directory there, locks included); idempotent. */
export function planDeleteApplicationFromEnvironment(
  snapshot: Snapshot,
  environmentName: string,
  app: string,
  trailers: string,
): WritePlan<ApplicationRemovalFromEnvironment> {
  requireLayout(snapshot);
  requireEnvironment(snapshot, environmentName);
  const environment = snapshot.environments.get(environmentName);
  if (!environment) {
    throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named '${environmentName}' exists.`);
  }
  if (!environment.applications.has(app)) {
    return {
      changes: [],
      message: '',
      result: { environment: environmentName, application: app, removed: false },
    };
  }
  return {
    changes: [{ kind: 'delete', path: appPath(environmentName, app) }],
    message: `Deleted application "${app}" from environment "${environmentName}"\n\n${trailers}`,
    result: { environment: environmentName, application: app, removed: true },
  };
}

export interface ReleaseCleanupResult {
  readonly releasesKept: number;
  /** App -> the release numbers removed, ascending; apps with none are left out. */
  readonly removed: ReadonlyMap<string, readonly number[]>;
}

/**
 * Every app's old releases in one commit, as each app's next deployment would remove them: for
 * upgrading a repo that grew without retention, at a quiet hour (POST /api/releases/cleanup).
 */
export function planReleaseCleanup(
  snapshot: Snapshot,
  releasesKept: number,
  trailers: string,
): WritePlan<ReleaseCleanupResult> {
  requireLayout(snapshot);
  const cleanup = cleanupOfEveryApp(snapshot, releasesKept);
  const removed = removedByApp(cleanup.removed);
  const result = { releasesKept, removed };
  if (cleanup.removed.length === 0) return { changes: [], message: '', result };
  const subject =
    `Cleaned up ${cleanup.removed.length} old releases of ${removed.size} applications ` +
    `(RELEASES_KEPT=${releasesKept})`;
  return {
    changes: cleanup.changes,
    message: [subject, cleanup.messageLines.join('\n'), trailers].join('\n\n'),
    result,
  };
}

function removedByApp(removed: readonly RemovedRelease[]): Map<string, number[]> {
  const byApp = new Map<string, number[]>();
  for (const { app, version } of removed) {
    const versions = byApp.get(app) ?? [];
    versions.push(version);
    byApp.set(app, versions);
  }
  return byApp;
}
