// The writes around trains: locks, environments, releases, deployments. Each is one call of a
// pure planner inside the ManifestWriter, so every write is one commit on the tip or nothing.
import type { Caller } from '../auth/caller.js';
import { Permissions, targetIn } from '../auth/permissions.js';
import type { PermissionTarget } from '../auth/policy.js';
import { AppError } from '../errors.js';
import { gitBlobId } from '../manifest/blobId.js';
import { renderTrailers } from '../planning/commitMessage.js';
import { type DeploymentRequest, planDeployment } from '../planning/deployments.js';
import { planSetEnvironment } from '../planning/environments.js';
import { type LockInput, type LockTarget, planCreateLock, planDeleteLock } from '../planning/locks.js';
import type { Snapshot } from '../planning/model.js';
import { planCreateRelease, type ReleaseManifest, type ReleaseRequest } from '../planning/releases.js';
import type { ManifestWriter } from './manifestWriter.js';
import { toLockView } from './prognosisView.js';

/** Who asked (the commit's author), and what the commit's trailers record about the request. */
export interface RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
  readonly ciLink?: string;
}

function trailersOf(request: RequestContext): string {
  return renderTrailers([
    ['Ci-Link', request.ciLink],
    ['Request-Id', request.requestId],
  ]);
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
    private readonly permissions: Permissions = new Permissions(),
  ) {}

  createLock(target: LockTarget, input: LockInput, request: RequestContext) {
    return this.writer.write(request.caller, ({ snapshot, time }) => {
      this.permissions.require(request.caller, 'CreateLock', lockTargets(snapshot, target));
      return planCreateLock(snapshot, target, input, {
        author: request.caller,
        time,
        trailers: trailersOf(request),
      });
    });
  }

  deleteLock(target: LockTarget, lockId: string, request: RequestContext) {
    return this.writer.write(request.caller, ({ snapshot }) => {
      this.permissions.require(request.caller, 'DeleteLock', lockTargets(snapshot, target));
      return planDeleteLock(snapshot, target, lockId, { trailers: trailersOf(request) });
    });
  }

  setEnvironment(environment: string, config: Readonly<Record<string, unknown>>, request: RequestContext) {
    return this.writer.write(request.caller, ({ snapshot }) => {
      // The group it will be in, and the group it is in now (moving it out needs that permission too).
      const group =
        typeof config.environmentGroup === 'string' && config.environmentGroup
          ? config.environmentGroup
          : environment;
      const targets = [{ environment, environmentGroup: group, application: '*' }];
      const existing = snapshot.environments.get(environment)?.config;
      // A corrupt config may be repaired: its group is unknown, the new one is checked.
      if (existing?.ok) {
        const current = existing.value.environmentGroup ?? environment;
        if (current !== group) targets.push({ environment, environmentGroup: current, application: '*' });
      }
      this.permissions.require(request.caller, 'CreateEnvironment', targets);
      return planSetEnvironment(snapshot, environment, config, trailersOf(request));
    });
  }

  createRelease(
    release: Omit<ReleaseRequest, 'manifests'> & { manifests: ReadonlyMap<string, Buffer> },
    request: RequestContext,
  ) {
    return this.writer.write(request.caller, async ({ snapshot, time, emptyBlobId }) => {
      this.permissions.require(
        request.caller,
        'CreateRelease',
        [...release.manifests.keys()]
          .sort()
          .map((environment) => targetIn(snapshot, environment, release.app)),
      );
      if (release.version !== undefined) {
        await this.writer.repo.loadReleases(snapshot, [{ app: release.app, version: release.version }]);
      }
      const algorithm = emptyBlobId.length === 64 ? 'sha256' : 'sha1';
      const manifests = new Map<string, ReleaseManifest>();
      for (const [environment, content] of release.manifests) {
        manifests.set(environment, { content, blobId: gitBlobId(content, algorithm) });
      }
      return planCreateRelease(
        snapshot,
        { ...release, manifests },
        { deployer: request.caller, time, emptyBlobId, trailers: trailersOf(request) },
      );
    });
  }

  async deploy(deployment: DeploymentRequest, request: RequestContext) {
    const written = await this.writer.write(request.caller, async ({ snapshot, time, emptyBlobId }) => {
      this.permissions.require(request.caller, 'DeployRelease', [
        targetIn(snapshot, deployment.environment, deployment.app),
      ]);
      await this.writer.repo.loadReleases(snapshot, [{ app: deployment.app, version: deployment.version }]);
      return planDeployment(snapshot, deployment, {
        deployer: request.caller,
        time,
        emptyBlobId,
        trailers: trailersOf(request),
      });
    });
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
