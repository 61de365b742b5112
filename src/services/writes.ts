// The writes around trains: locks, environments, releases, deployments. Each is one call of a
// pure planner inside the ManifestWriter, so every write is one commit on the tip or nothing.
import { AppError } from '../errors.js';
import { gitBlobId } from '../manifest/blobId.js';
import type { Identity } from '../planning/changes.js';
import { renderTrailers } from '../planning/commitMessage.js';
import { type DeploymentRequest, planDeployment } from '../planning/deployments.js';
import { planSetEnvironment } from '../planning/environments.js';
import { type LockInput, type LockTarget, planCreateLock, planDeleteLock } from '../planning/locks.js';
import { planCreateRelease, type ReleaseManifest, type ReleaseRequest } from '../planning/releases.js';
import type { ManifestWriter } from './manifestWriter.js';
import { toLockView } from './prognosisView.js';

/** Who asked, and what the commit's trailers record about the request. */
export interface RequestContext {
  readonly author: Identity;
  readonly requestId: string;
  readonly ciLink?: string;
}

function trailersOf(request: RequestContext): string {
  return renderTrailers([
    ['Ci-Link', request.ciLink],
    ['Request-Id', request.requestId],
  ]);
}

export class ManifestWrites {
  constructor(private readonly writer: ManifestWriter) {}

  createLock(target: LockTarget, input: LockInput, request: RequestContext) {
    return this.writer.write(request.author, ({ snapshot, time }) =>
      planCreateLock(snapshot, target, input, {
        author: request.author,
        time,
        trailers: trailersOf(request),
      }),
    );
  }

  deleteLock(target: LockTarget, lockId: string, request: RequestContext) {
    return this.writer.write(request.author, ({ snapshot }) =>
      planDeleteLock(snapshot, target, lockId, { trailers: trailersOf(request) }),
    );
  }

  setEnvironment(environment: string, config: Readonly<Record<string, unknown>>, request: RequestContext) {
    return this.writer.write(request.author, ({ snapshot }) =>
      planSetEnvironment(snapshot, environment, config, trailersOf(request)),
    );
  }

  createRelease(
    release: Omit<ReleaseRequest, 'manifests'> & { manifests: ReadonlyMap<string, Buffer> },
    request: RequestContext,
  ) {
    return this.writer.write(request.author, async ({ snapshot, time, emptyBlobId }) => {
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
        { deployer: request.author, time, emptyBlobId, trailers: trailersOf(request) },
      );
    });
  }

  async deploy(deployment: DeploymentRequest, request: RequestContext) {
    const written = await this.writer.write(request.author, async ({ snapshot, time, emptyBlobId }) => {
      await this.writer.repo.loadReleases(snapshot, [{ app: deployment.app, version: deployment.version }]);
      return planDeployment(snapshot, deployment, {
        deployer: request.author,
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
