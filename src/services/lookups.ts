// Kuberpult's read endpoints (lifecycle.md "Looking things up"): the tip snapshot for what is
// where, plus the release files an answer needs, read in one round trip. Reads need no permission.

import { AppError, CorruptRepoError } from '../domain/errors.js';
import { parseReleaseNumber } from '../domain/names.js';
import type { RepositoryReader } from '../manifest/repository.js';
import { MANIFEST_MAX_BYTES, tooLarge } from '../planning/layout.js';
import type { Application, Snapshot } from '../planning/model.js';
import {
  requireApplication,
  requireEnvironment,
  requireEveryApplication,
  requireEveryEnvironment,
  requireLayout,
} from '../planning/problems.js';
import { loadedManifests, loadedUndeploy, mustRead, sortedKeys } from '../planning/readable.js';
import type {
  CommitDeploymentStatus,
  CommitDeployments,
  DeploymentCommit,
  ReleaseManifests,
} from '../schemas/lookups.js';
import { fileText, present } from './metadataFiles.js';

const releaseDirectory = (app: string, version: number) => `applications/${app}/releases/${version}`;

/** The commit the snapshot was read from: one exists whenever the snapshot has anything in it. */
function commitOf(snapshot: Snapshot): string {
  if (snapshot.commitId === null) throw new Error('an empty branch has no environments or applications');
  return snapshot.commitId;
}

export class LookupService {
  constructor(private readonly repo: RepositoryReader) {}

  /** GET /api/environments/{env}/applications/{app}/commit */
  async deploymentCommit(environmentName: string, app: string): Promise<DeploymentCommit> {
    const snapshot = await this.repo.readTipSnapshot();
    requireLayout(snapshot);
    requireEnvironment(snapshot, environmentName);
    requireApplication(snapshot, app);
    const environment = snapshot.environments.get(environmentName);
    if (!environment) {
      throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named '${environmentName}' exists.`);
    }
    const state = environment.applications.get(app);
    const version = state ? mustRead(state.deployedVersion) : undefined;
    if (version === undefined) {
      throw new AppError('NOT_DEPLOYED', `'${app}' is not deployed in '${environmentName}'.`);
    }
    const directory = releaseDirectory(app, version);
    const [author, commitId, message] = ['source_author', 'source_commit_id', 'source_message'].map(
      (file) => `${directory}/${file}`,
    ) as [string, string, string];
    const files = await this.repo.readPathsAt(commitOf(snapshot), [author, commitId, message]);
    return {
      ...present('author', fileText(files, author)),
      ...present('commit_id', fileText(files, commitId)?.trim()),
      ...present('commit_message', fileText(files, message)),
    };
  }

  /**
   * GET /api/commit-deployments/{commitId}: per app with a release built from the commit, per
   * environment the first such release exists in, whether the deployed version has reached it.
   * Environments that no longer exist are left out.
   */
  async commitDeployments(commitId: string): Promise<CommitDeployments> {
    const snapshot = await this.repo.readTipSnapshot();
    if (snapshot.commitId === null) return { deploymentStatus: {} };
    // An app or environment that cannot be read may hold a release of the commit.
    requireLayout(snapshot);
    requireEveryApplication(snapshot);
    requireEveryEnvironment(snapshot);
    const wanted = commitId.toLowerCase();
    const candidates = sortedKeys(snapshot.applications).flatMap((app) =>
      [...(snapshot.applications.get(app) as Application).releases.keys()].map((version) => ({
        app,
        version,
        path: `${releaseDirectory(app, version)}/source_commit_id`,
      })),
    );
    const files = await this.repo.readPathsAt(
      snapshot.commitId,
      candidates.map(({ path }) => path),
    );
    const built = candidates.filter(({ path }) => fileText(files, path)?.trim().toLowerCase() === wanted);
    await this.repo.loadReleases(snapshot, built);

    // Per app and environment, the first release of the commit there.
    const firstRelease = new Map<string, Map<string, number>>();
    for (const { app, version } of built) {
      const release = snapshot.applications.get(app)?.releases.get(version);
      if (!release) continue;
      const environments = firstRelease.get(app) ?? new Map<string, number>();
      for (const environment of loadedManifests(release).keys()) {
        if (!snapshot.environments.has(environment)) continue;
        environments.set(environment, Math.min(version, environments.get(environment) ?? version));
      }
      firstRelease.set(app, environments);
    }

    const deploymentStatus: CommitDeployments['deploymentStatus'] = {};
    for (const app of sortedKeys(firstRelease)) {
      const environments = firstRelease.get(app) as Map<string, number>;
      const statuses: Record<string, CommitDeploymentStatus> = {};
      for (const name of sortedKeys(environments)) {
        const state = snapshot.environments.get(name)?.applications.get(app);
        const deployed = state ? mustRead(state.deployedVersion) : undefined;
        statuses[name] =
          deployed !== undefined && deployed >= (environments.get(name) as number) ? 'DEPLOYED' : 'PENDING';
      }
      deploymentStatus[app] = { deploymentStatus: statuses };
    }
    return { deploymentStatus };
  }

  /** GET /api/application/{app}/release/{version}/manifests; `version` is a number or `latest`. */
  async releaseManifests(app: string, requested: string): Promise<ReleaseManifests> {
    const snapshot = await this.repo.readTipSnapshot();
    requireLayout(snapshot);
    requireApplication(snapshot, app);
    const application = snapshot.applications.get(app);
    if (!application) throw new AppError('APPLICATION_NOT_FOUND', `No application named '${app}' exists.`);
    let version: number | undefined;
    if (requested === 'latest') {
      version = application.latestRelease;
      if (version === undefined) throw new AppError('RELEASE_NOT_FOUND', `'${app}' has no releases.`);
    } else {
      version = parseReleaseNumber(requested);
      if (version === undefined) {
        throw new AppError(
          'INVALID_INPUT',
          'The version must be a release number from 1 to 2^53-1, or latest.',
        );
      }
    }
    const release = application.releases.get(version);
    if (!release) throw new AppError('RELEASE_NOT_FOUND', `Release ${version} of '${app}' does not exist.`);
    await this.repo.loadReleases(snapshot, [{ app, version }]);
    const blobs = loadedManifests(release);
    const environments = sortedKeys(blobs);

    const directory = releaseDirectory(app, version);
    const path = (file: string) => `${directory}/${file}`;
    const metadata = ['source_commit_id', 'source_author', 'source_message', 'display_version', 'created_at'];
    const [files, contents] = await Promise.all([
      this.repo.readPathsAt(commitOf(snapshot), metadata.map(path)),
      this.repo.readBlobTexts(
        environments.map((environment) => blobs.get(environment) as string),
        MANIFEST_MAX_BYTES,
      ),
    ]);
    const createdAt = fileText(files, path('created_at'));
    const manifests: ReleaseManifests['manifests'] = {};
    for (const environment of environments) {
      const content = contents.get(blobs.get(environment) as string);
      const file = `${path('environments')}/${environment}/manifests.yaml`;
      if (content === undefined) throw new CorruptRepoError(file, 'the blob it names is missing');
      if (!content.ok) throw new CorruptRepoError(file, tooLarge(content.size, MANIFEST_MAX_BYTES));
      manifests[environment] = { environment, content: content.text };
    }
    return {
      release: {
        version,
        ...present('source_commit_id', fileText(files, path('source_commit_id'))?.trim()),
        ...present('source_author', fileText(files, path('source_author'))),
        ...present('source_message', fileText(files, path('source_message'))),
        ...(createdAt !== undefined && { created_at: protobufTimestamp(createdAt, path('created_at')) }),
        // The release reader's own check of the marker (a file, within the bound of release files).
        undeploy_version: loadedUndeploy(release),
        ...present('display_version', fileText(files, path('display_version'))),
        environments,
      },
      manifests,
    };
  }
}

const RFC_3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time as Go's encoding/json writes a protobuf Timestamp: seconds, and nanos when not 0. */
export function protobufTimestamp(text: string, file: string): { seconds: number; nanos?: number } {
  const match = RFC_3339.exec(text.trim());
  const milliseconds = match ? Date.parse(`${match[1]}${match[3]}`.toUpperCase()) : Number.NaN;
  if (!match || Number.isNaN(milliseconds)) throw new CorruptRepoError(file, 'not an RFC 3339 time');
  const nanos = Number((match[2] ?? '').padEnd(9, '0'));
  return { seconds: milliseconds / 1000, ...(nanos !== 0 && { nanos }) };
}
