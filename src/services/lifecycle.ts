// Switching applications off and tidying up (lifecycle.md): the undeploy version, removing an app
// for good or from one environment, and the one-off cleanup of old releases. Each write is one
// commit on the tip or nothing, its permission checked before it waits and again on that tip.
//
// Permissions (Kuberpult's action names and, where Kuberpult had the operation, its checks):
// - the undeploy version: CreateUndeploy on every environment, for the app (its manifest goes to
//   every environment; Kuberpult checks every environment too);
// - removing an app for good: DeployUndeploy on every environment, for the app (Kuberpult's
//   UndeployApplication checks the same);
// - removing an app from one environment: DeleteEnvironmentApplication on that environment;
// - the cleanup of every app: DeployRelease on every environment, for each app it removes
//   releases of (each app's next deployment would remove the same; this does it for all of them).
import { Permissions, targetIn } from '../auth/permissions.js';
import type { PermissionTarget } from '../auth/policy.js';
import { gitBlobId } from '../manifest/blobId.js';
import type { RepositoryReader } from '../manifest/repository.js';
import type { WritePlan } from '../planning/changes.js';
import {
  planCreateUndeployVersion,
  planDeleteApplication,
  planDeleteApplicationFromEnvironment,
  planReleaseCleanup,
  type ReleaseCleanupResult,
} from '../planning/lifecycle.js';
import type { Snapshot } from '../planning/model.js';
import { requireLayout } from '../planning/problems.js';
import { cleanupOfEveryApp, RELEASES_KEPT_DEFAULT } from '../planning/retention.js';
import type { ManifestWriter, WriteContext, WriteResult } from './manifestWriter.js';
import { permittedWrite, type RequestContext, trailersOf, type WritePermission } from './writes.js';

/** Every environment of the snapshot, for one app. */
function everyEnvironment(snapshot: Snapshot, app: string): PermissionTarget[] {
  return [...snapshot.environments.keys()].sort().map((environment) => targetIn(snapshot, environment, app));
}

export class LifecycleService {
  constructor(
    private readonly writer: ManifestWriter,
    private readonly reader: RepositoryReader,
    private readonly permissions: Permissions = new Permissions(),
    private readonly releasesKept: number = RELEASES_KEPT_DEFAULT,
  ) {}

  private write<T>(
    request: RequestContext,
    permission: WritePermission,
    plan: (context: WriteContext) => Promise<WritePlan<T>> | WritePlan<T>,
  ): Promise<WriteResult<T>> {
    return permittedWrite(this.writer, this.reader, this.permissions, request.caller, permission, plan, {
      requestId: request.requestId,
    });
  }

  /** POST /api/applications/{app}/undeploy */
  createUndeployVersion(app: string, request: RequestContext) {
    const permission = {
      action: 'CreateUndeploy',
      targets: (snapshot: Snapshot) => everyEnvironment(snapshot, app),
    } as const;
    return this.write(request, permission, async ({ snapshot, time, emptyBlobId, objectFormat }) => {
      await this.loadLatestRelease(snapshot, app);
      const space = Buffer.from(' ');
      return planCreateUndeployVersion(snapshot, app, {
        deployer: request.caller,
        time,
        emptyBlobId,
        trailers: trailersOf(request),
        releasesKept: this.releasesKept,
        singleSpace: { content: space, blobId: gitBlobId(space, objectFormat) },
      });
    });
  }

  /** DELETE /api/applications/{app} */
  deleteApplication(app: string, request: RequestContext) {
    const permission = {
      action: 'DeployUndeploy',
      targets: (snapshot: Snapshot) => everyEnvironment(snapshot, app),
    } as const;
    return this.write(request, permission, async ({ snapshot }) => {
      await this.loadLatestRelease(snapshot, app);
      return planDeleteApplication(snapshot, app, trailersOf(request));
    });
  }

  /** DELETE /api/environments/{env}/applications/{app} */
  deleteApplicationFromEnvironment(environment: string, app: string, request: RequestContext) {
    // An unknown environment has no group to judge: the planner answers 404 for it.
    const permission = {
      action: 'DeleteEnvironmentApplication',
      targets: (snapshot: Snapshot) =>
        snapshot.environments.has(environment) ? [targetIn(snapshot, environment, app)] : [],
    } as const;
    return this.write(request, permission, ({ snapshot }) =>
      planDeleteApplicationFromEnvironment(snapshot, environment, app, trailersOf(request)),
    );
  }

  /** POST /api/releases/cleanup */
  cleanupReleases(request: RequestContext) {
    const permission = {
      action: 'DeployRelease',
      targets: (snapshot: Snapshot) => this.cleanupTargets(snapshot),
    } as const;
    return this.write(request, permission, ({ snapshot }) =>
      planReleaseCleanup(snapshot, this.releasesKept, trailersOf(request)),
    );
  }

  /** GET /api/releases/cleanup: what the cleanup would remove now; writes nothing, needs no permission. */
  async previewCleanup(): Promise<ReleaseCleanupResult> {
    const snapshot = await this.reader.readTipSnapshot();
    return planReleaseCleanup(snapshot, this.releasesKept, '').result;
  }

  private cleanupTargets(snapshot: Snapshot): PermissionTarget[] {
    requireLayout(snapshot);
    const apps = new Set(cleanupOfEveryApp(snapshot, this.releasesKept).removed.map(({ app }) => app));
    return [...apps].flatMap((app) => everyEnvironment(snapshot, app));
  }

  private async loadLatestRelease(snapshot: Snapshot, app: string): Promise<void> {
    const latest = snapshot.applications.get(app)?.latestRelease;
    if (latest !== undefined) await this.reader.loadReleases(snapshot, [{ app, version: latest }]);
  }
}
