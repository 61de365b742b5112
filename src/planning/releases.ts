// Creating a release, and the automatic deployments it makes (release-train.md "Releases and
// locks that trains depend on").
import { AppError } from '../domain/errors.js';
import type { TreeChange, WritePlan } from './changes.js';
import { type DeploymentContext, deploymentChanges, queuedDeploymentChanges } from './deploymentChanges.js';
import { locksInTheWay } from './deployments.js';
import { UNDEPLOY_MARKER } from './layout.js';
import type { Snapshot } from './model.js';
import { requireApplication, requireEnvironment, requireLayout } from './problems.js';
import { compareNames, loadedManifests, mustRead } from './readable.js';
import { cleanupAfterDeployments, oldestKeptRelease } from './retention.js';

export interface ReleaseManifest {
  readonly content: Buffer;
  /** The git blob id of `content`, to compare with a release that already exists. */
  readonly blobId: string;
}

export interface ReleaseRequest {
  readonly app: string;
  /** Absent: one more than the app's latest release. */
  readonly version?: number;
  readonly team?: string;
  /** Environment -> manifest; at least one. */
  readonly manifests: ReadonlyMap<string, ReleaseManifest>;
  readonly sourceCommitId?: string;
  readonly sourceAuthor?: string;
  readonly sourceMessage?: string;
  readonly displayVersion?: string;
  /** An undeploy version (lifecycle.md): the release gets the empty marker file `undeploy`. */
  readonly undeploy?: boolean;
}

export interface ReleaseResult {
  readonly version: number;
  /** false: the same release already existed and nothing was written. */
  readonly created: boolean;
  readonly deployedTo: readonly string[];
  readonly queuedIn: readonly string[];
}

export interface ReleaseContext extends DeploymentContext {
  readonly trailers: string;
  /** RELEASES_KEPT: the retention rule of the cleanup a deploying commit does (retention.ts). */
  readonly releasesKept: number;
}

export function planCreateRelease(
  snapshot: Snapshot,
  request: ReleaseRequest,
  context: ReleaseContext,
): WritePlan<ReleaseResult> {
  const { app } = request;
  requireLayout(snapshot);
  requireApplication(snapshot, app);
  // Whether it deploys there depends on each environment's config.
  for (const environment of request.manifests.keys()) requireEnvironment(snapshot, environment);
  const application = snapshot.applications.get(app);
  const latest = application?.latestRelease;
  const version = request.version ?? (latest ?? 0) + 1;
  if (!Number.isSafeInteger(version))
    throw new AppError('INVALID_INPUT', 'The next release number is too large.');

  const existing = application?.releases.get(version);
  if (existing) {
    const existingManifests = loadedManifests(existing);
    const same =
      existingManifests.size === request.manifests.size &&
      [...request.manifests].every(
        ([environment, manifest]) => existingManifests.get(environment) === manifest.blobId,
      );
    if (!same) {
      throw new AppError(
        'RELEASE_CONFLICT',
        `Release ${version} of '${app}' already exists with other manifests.`,
      );
    }
    return { changes: [], message: '', result: { version, created: false, deployedTo: [], queuedIn: [] } };
  }

  const releasePath = `applications/${app}/releases/${version}`;
  const file = (path: string, content: string | Buffer): TreeChange => ({ kind: 'file', path, content });
  const changes: TreeChange[] = [file(`${releasePath}/created_at`, context.time.toISOString())];
  const team = request.team ?? application?.team ?? '';
  if (request.team !== undefined && request.team !== application?.team) {
    changes.push(file(`applications/${app}/team`, request.team));
  }
  const metadata = [
    ['source_commit_id', request.sourceCommitId],
    ['source_author', request.sourceAuthor],
    ['source_message', request.sourceMessage],
    ['display_version', request.displayVersion],
  ] as const;
  for (const [name, value] of metadata)
    if (value !== undefined) changes.push(file(`${releasePath}/${name}`, value));
  if (request.undeploy) changes.push(file(`${releasePath}/${UNDEPLOY_MARKER}`, ''));
  const environments = [...request.manifests.keys()].sort(compareNames);
  for (const environment of environments) {
    const manifest = request.manifests.get(environment) as ReleaseManifest;
    changes.push(file(`${releasePath}/environments/${environment}/manifests.yaml`, manifest.content));
  }

  // Only the newest release moves the environments that take the latest one.
  const deployedTo: string[] = [];
  const queuedIn: string[] = [];
  if (latest === undefined || version > latest) {
    for (const environment of environments) {
      const state = snapshot.environments.get(environment);
      if (!state || mustRead(state.config).upstream?.latest !== true) continue;
      const locks = locksInTheWay(state, app, team, context.time);
      if (locks.environmentLocks.length + locks.appLocks.length + locks.teamLocks.length > 0) {
        queuedIn.push(environment);
        changes.push(...queuedDeploymentChanges(environment, app, version));
      } else {
        deployedTo.push(environment);
        const manifest = request.manifests.get(environment) as ReleaseManifest;
        changes.push(
          ...deploymentChanges(
            snapshot,
            { environment, app, version, manifest: { content: manifest.content } },
            context,
          ),
        );
      }
    }
  }

  const versionWrites = {
    deployed: deployedTo.map((environment) => ({ environment, app, version })),
    queued: queuedIn.map((environment) => ({ environment, app, version })),
    created: [{ app, version }],
  };
  const oldestKept = oldestKeptRelease(snapshot, app, versionWrites, context.releasesKept);
  if (oldestKept !== undefined && version < oldestKept) {
    throw new AppError(
      'RELEASE_TOO_OLD',
      `Release ${version} of '${app}' is older than the releases kept (${oldestKept} and newer, ` +
        `RELEASES_KEPT=${context.releasesKept}): it would be removed at once.`,
      { details: { oldestKept, releasesKept: context.releasesKept } },
    );
  }
  const cleanup = cleanupAfterDeployments(snapshot, versionWrites, context.releasesKept);
  changes.push(...cleanup.changes);

  const deploymentLines = [
    ...deployedTo.map((environment) => `deployed version ${version} of "${app}" to "${environment}"`),
    ...queuedIn.map(
      (environment) => `queued version ${version} of "${app}" in "${environment}": it is locked`,
    ),
  ];
  const subject = request.undeploy
    ? `created undeploy version ${version} of "${app}"`
    : `created version ${version} of "${app}"`;
  const paragraphs = [subject, deploymentLines.join('\n'), cleanup.messageLines.join('\n'), context.trailers];
  return {
    changes,
    message: paragraphs.filter((paragraph) => paragraph !== '').join('\n\n'),
    result: { version, created: true, deployedTo, queuedIn },
  };
}
