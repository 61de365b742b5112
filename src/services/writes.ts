// The writes around trains: locks, environments, releases, deployments. Each is one call of a
// pure planner inside the ManifestWriter, so every write is one commit on the tip or nothing,
// with its permission checked before it waits for its turn and again on that tip (permittedWrite).
import type { Caller } from '../auth/caller.js';
import { Permissions, targetIn } from '../auth/permissions.js';
import type { Action, PermissionTarget } from '../auth/policy.js';
import { AppError } from '../domain/errors.js';
import { gitBlobId } from '../manifest/blobId.js';
import type { RepositoryReader } from '../manifest/repository.js';
import type { WritePlan } from '../planning/changes.js';
import { renderTrailers } from '../planning/commitMessage.js';
import { type DeploymentRequest, planDeployment } from '../planning/deployments.js';
import { planDeleteEnvironment, planSetEnvironment } from '../planning/environments.js';
import { type LockInput, type LockTarget, planCreateLock, planDeleteLock } from '../planning/locks.js';
import type { Snapshot } from '../planning/model.js';
import { planCreateRelease, type ReleaseManifest, type ReleaseRequest } from '../planning/releases.js';
import { RELEASES_KEPT_DEFAULT } from '../planning/retention.js';
import { withExpiredLocksRemoved } from '../planning/timedLocks.js';
import type { ManifestWriter, WriteContext, WriteOptions, WriteResult } from './manifestWriter.js';
import { toLockView } from './prognosisView.js';

/** Where a lock goes, as the lock routes name it. */
export type { LockTarget };

/** Who asked (the commit's author), and what the commit's trailers record about the request. */
export interface RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
  readonly ciLink?: string;
}

/** The trailers of a write's commit: its CI link and request id. */
export function trailersOf(request: RequestContext): string {
  return renderTrailers([
    ['Ci-Link', request.ciLink],
    ['Request-Id', request.requestId],
  ]);
}

/** What a write needs permission for: an action on targets, as a snapshot has them. */
export interface WritePermission {
  readonly action: Action;
  readonly targets: (snapshot: Snapshot) => readonly PermissionTarget[];
}

/**
 * A write whose permission is checked twice, with the same targets: on the tip as it is cached,
 * before the write waits for its turn (a refused caller neither waits, fills the queue nor makes
 * it fetch), and on the tip the write commits to, which decides.
 */
export async function permittedWrite<T>(
  writer: ManifestWriter,
  reader: RepositoryReader,
  permissions: Permissions,
  caller: Caller,
  permission: WritePermission,
  plan: (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>,
  options?: WriteOptions,
): Promise<WriteResult<T>> {
  if (permissions.restricts) {
    let cachedTargets: readonly PermissionTarget[] | undefined;
    try {
      cachedTargets = permission.targets(await reader.readTipSnapshot());
    } catch {
      // What cannot be judged here (a corrupt config) is reported by the write, on its own tip.
    }
    if (cachedTargets) permissions.require(caller, permission.action, cachedTargets);
  }
  return writer.write(
    caller,
    async (context) => {
      permissions.require(caller, permission.action, permission.targets(context.snapshot));
      // windows.md: a write that touches an environment takes its expired timed locks with it.
      return withExpiredLocksRemoved(context.snapshot, await plan(context), context.time);
    },
    options,
  );
}

/** Where a lock applies, for permissions: a group lock applies to every environment of the group. */
function lockTargets(snapshot: Snapshot, target: LockTarget): PermissionTarget[] {
  switch (target.kind) {
    case 'environment':
    case 'team':
      return [targetIn(snapshot, target.environment)];
    case 'application':
      return [targetIn(snapshot, target.environment, target.app)];
    case 'group':
      return [...snapshot.environments.keys()]
        .sort()
        .map((environment) => targetIn(snapshot, environment))
        .filter((environmentTarget) => environmentTarget.environmentGroup === target.group);
  }
}

export class ManifestWrites {
  constructor(
    private readonly writer: ManifestWriter,
    private readonly reader: RepositoryReader,
    private readonly permissions: Permissions = new Permissions(),
    /** RELEASES_KEPT: a commit that deploys removes the deployed app's old releases. */
    private readonly releasesKept: number = RELEASES_KEPT_DEFAULT,
  ) {}

  private write<T>(
    request: RequestContext,
    permission: WritePermission,
    plan: (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>,
  ): Promise<WriteResult<T>> {
    // Batched with the writes queued after it (each its own commit with its own trailers): these
    // plans read the repo only through the snapshot's objects, never by its commit id.
    return permittedWrite(this.writer, this.reader, this.permissions, request.caller, permission, plan, {
      requestId: request.requestId,
      batchable: true,
    });
  }

  createLock(target: LockTarget, input: LockInput, request: RequestContext) {
    const permission = {
      action: 'CreateLock',
      targets: (snapshot: Snapshot) => lockTargets(snapshot, target),
    } as const;
    return this.write(request, permission, ({ snapshot, time }) =>
      planCreateLock(snapshot, target, input, {
        author: request.caller,
        time,
        trailers: trailersOf(request),
      }),
    );
  }

  deleteLock(target: LockTarget, lockId: string, request: RequestContext) {
    const permission = {
      action: 'DeleteLock',
      targets: (snapshot: Snapshot) => lockTargets(snapshot, target),
    } as const;
    return this.write(request, permission, ({ snapshot }) =>
      planDeleteLock(snapshot, target, lockId, { trailers: trailersOf(request) }),
    );
  }

  setEnvironment(environment: string, config: Readonly<Record<string, unknown>>, request: RequestContext) {
    // The group it will be in, and the group it is in now (moving it out needs that permission too).
    const group =
      typeof config.environmentGroup === 'string' && config.environmentGroup
        ? config.environmentGroup
        : environment;
    const targets = (snapshot: Snapshot): PermissionTarget[] => {
      const targets = [{ environment, environmentGroup: group, application: '*' }];
      const existing = snapshot.environments.get(environment)?.config;
      // A corrupt config may be repaired: its group is unknown, the new one is checked.
      if (existing?.ok) {
        const current = existing.value.environmentGroup ?? environment;
        if (current !== group) targets.push({ environment, environmentGroup: current, application: '*' });
      }
      return targets;
    };
    return this.write(request, { action: 'CreateEnvironment', targets }, ({ snapshot }) =>
      planSetEnvironment(snapshot, environment, config, trailersOf(request)),
    );
  }

  deleteEnvironment(environment: string, request: RequestContext) {
    // An unknown environment has no group to judge: the planner answers 404 for it.
    const targets = (snapshot: Snapshot) =>
      snapshot.environments.has(environment) ? [targetIn(snapshot, environment)] : [];
    return this.write(request, { action: 'DeleteEnvironment', targets }, ({ snapshot }) =>
      planDeleteEnvironment(snapshot, environment, trailersOf(request)),
    );
  }

  createRelease(
    release: Omit<ReleaseRequest, 'manifests'> & { manifests: ReadonlyMap<string, Buffer> },
    request: RequestContext,
  ) {
    const targets = (snapshot: Snapshot) =>
      [...release.manifests.keys()].sort().map((environment) => targetIn(snapshot, environment, release.app));
    return this.write(
      request,
      { action: 'CreateRelease', targets },
      async ({ snapshot, time, emptyBlobId, objectFormat }) => {
        if (release.version !== undefined) {
          await this.reader.loadReleases(snapshot, [{ app: release.app, version: release.version }]);
        }
        const manifests = new Map<string, ReleaseManifest>();
        for (const [environment, content] of release.manifests) {
          manifests.set(environment, { content, blobId: gitBlobId(content, objectFormat) });
        }
        return planCreateRelease(
          snapshot,
          { ...release, manifests },
          {
            deployer: request.caller,
            time,
            emptyBlobId,
            trailers: trailersOf(request),
            releasesKept: this.releasesKept,
          },
        );
      },
    );
  }

  async deploy(deployment: DeploymentRequest, request: RequestContext) {
    const targets = (snapshot: Snapshot) => [targetIn(snapshot, deployment.environment, deployment.app)];
    const written = await this.write(
      request,
      { action: 'DeployRelease', targets },
      async ({ snapshot, time, emptyBlobId }) => {
        await this.reader.loadReleases(snapshot, [{ app: deployment.app, version: deployment.version }]);
        return planDeployment(snapshot, deployment, {
          deployer: request.caller,
          time,
          emptyBlobId,
          trailers: trailersOf(request),
          releasesKept: this.releasesKept,
        });
      },
    );
    const { result } = written;
    if (result.outcome === 'locked') {
      const { environmentLocks, appLocks, teamLocks } = result.locks;
      throw new AppError(
        'LOCKED',
        `'${deployment.app}' is locked in '${deployment.environment}'; nothing was deployed.`,
        {
          details: {
            environmentLocks: environmentLocks.map(toLockView),
            appLocks: appLocks.map(toLockView),
            teamLocks: teamLocks.map(toLockView),
          },
        },
      );
    }
    return { outcome: result.outcome, commitId: written.commitId };
  }
}
