// One application as people look at it (the web UI's application page): its releases with their
// metadata, and per environment what runs there, what is queued, and the locks in its way. One
// snapshot, and the release files it needs in one round trip. Reads need no permission.
import { AppError, CorruptRepoError } from '../domain/errors.js';
import type { RepositoryReader } from '../manifest/repository.js';
import { METADATA_MAX_BYTES, tooLarge } from '../planning/layout.js';
import type { Environment, Lock, LockMap, Snapshot } from '../planning/model.js';
import { requireApplication, requireEveryEnvironment, requireLayout } from '../planning/problems.js';
import { loadedManifests, mustRead, sortedKeys } from '../planning/readable.js';
import type { LockView } from '../schemas/releaseTrain.js';
import { fileText, present } from './metadataFiles.js';
import { toLockView } from './prognosisView.js';

/** The newest releases an application page lists; older ones are counted. */
export const RELEASES_SHOWN = 100;

export interface ReleaseDetails {
  readonly version: number;
  readonly displayVersion?: string;
  readonly sourceCommitId?: string;
  readonly sourceAuthor?: string;
  readonly sourceMessage?: string;
  /** created_at as written. */
  readonly createdAt?: string;
  readonly undeploy: boolean;
  /** The environments the release has a manifest for, in byte order. */
  readonly environments: readonly string[];
}

export interface ApplicationInEnvironment {
  readonly environment: string;
  /** The environment's group, or its own name when it has none. */
  readonly group: string;
  readonly deployedVersion?: number;
  readonly queuedVersion?: number;
  readonly deployedBy?: string;
  readonly deployedAt?: string;
  readonly environmentLocks: readonly LockView[];
  readonly appLocks: readonly LockView[];
  readonly teamLocks: readonly LockView[];
}

export interface ApplicationDetails {
  readonly name: string;
  /** "" when the app has no team. */
  readonly team: string;
  /** Newest first, at most RELEASES_SHOWN. */
  readonly releases: readonly ReleaseDetails[];
  readonly olderReleases: number;
  /** Every environment, in byte order, whether the app is there or not. */
  readonly environments: readonly ApplicationInEnvironment[];
}

const RELEASE_FILES = [
  'display_version',
  'source_commit_id',
  'source_author',
  'source_message',
  'created_at',
  'undeploy',
] as const;

export class ApplicationService {
  constructor(private readonly repo: RepositoryReader) {}

  async read(app: string): Promise<ApplicationDetails> {
    const snapshot = await this.repo.readTipSnapshot();
    requireLayout(snapshot);
    requireApplication(snapshot, app);
    // Where it runs is a question about every environment.
    requireEveryEnvironment(snapshot);
    const application = snapshot.applications.get(app);
    const inSomeEnvironment = [...snapshot.environments.values()].some((environment) =>
      environment.applications.has(app),
    );
    if (!application && !inSomeEnvironment) {
      throw new AppError('APPLICATION_NOT_FOUND', `No application named '${app}' exists.`);
    }
    const team = application?.team ?? '';
    const versions = [...(application?.releases.keys() ?? [])].sort((a, b) => b - a);
    const shown = versions.slice(0, RELEASES_SHOWN);
    const releases =
      snapshot.commitId === null || !application ? [] : await this.releases(snapshot, app, shown);
    return {
      name: app,
      team,
      releases,
      olderReleases: versions.length - shown.length,
      environments: await this.environments(snapshot, app, team),
    };
  }

  private async releases(snapshot: Snapshot, app: string, versions: readonly number[]) {
    await this.repo.loadReleases(
      snapshot,
      versions.map((version) => ({ app, version })),
    );
    const path = (version: number, file: string) => `applications/${app}/releases/${version}/${file}`;
    const files = await this.repo.readPathsAt(
      snapshot.commitId as string,
      versions.flatMap((version) => RELEASE_FILES.map((file) => path(version, file))),
    );
    return versions.map((version): ReleaseDetails => {
      const text = (file: (typeof RELEASE_FILES)[number]) => fileText(files, path(version, file));
      const release = snapshot.applications.get(app)?.releases.get(version);
      return {
        version,
        ...present('displayVersion', text('display_version')?.trim()),
        ...present('sourceCommitId', text('source_commit_id')?.trim()),
        ...present('sourceAuthor', text('source_author')?.trim()),
        ...present('sourceMessage', text('source_message')),
        ...present('createdAt', text('created_at')?.trim()),
        undeploy: text('undeploy') !== undefined,
        environments: release ? sortedKeys(loadedManifests(release)) : [],
      };
    });
  }

  private async environments(snapshot: Snapshot, app: string, team: string) {
    const recordBlobs = new Map<string, { by?: string; at?: string }>();
    for (const environment of snapshot.environments.values()) {
      const record = environment.applications.get(app)?.deploymentRecord;
      if (record) recordBlobs.set(environment.name, { by: record.deployedBy, at: record.deployedAt });
    }
    const texts = await this.repo.readMetadataTexts(
      [...recordBlobs.values()].flatMap(({ by, at }) => [by, at].filter((oid) => oid !== undefined)),
    );
    const textOf = (oid: string | undefined, file: string) => {
      if (oid === undefined) return undefined;
      const content = texts.get(oid);
      if (content?.ok === false) throw new CorruptRepoError(file, tooLarge(content.size, METADATA_MAX_BYTES));
      return content?.text.trim() || undefined;
    };
    const locks = (map: LockMap | undefined) =>
      map ? sortedKeys(map).map((id) => toLockView(map.get(id) as Lock)) : [];
    return sortedKeys(snapshot.environments).map((name): ApplicationInEnvironment => {
      const environment = snapshot.environments.get(name) as Environment;
      const state = environment.applications.get(app);
      const path = `environments/${name}/applications/${app}`;
      const record = recordBlobs.get(name);
      const teamLocks = team === '' ? undefined : environment.teamLocks.get(team);
      const deployedVersion = state ? mustRead(state.deployedVersion) : undefined;
      const queuedVersion = state ? mustRead(state.queuedVersion) : undefined;
      const deployedBy = textOf(record?.by, `${path}/deployed_by`);
      const deployedAt = textOf(record?.at, `${path}/deployed_at_utc`);
      return {
        environment: name,
        group: mustRead(environment.config).environmentGroup ?? name,
        ...(deployedVersion !== undefined ? { deployedVersion } : {}),
        ...(queuedVersion !== undefined ? { queuedVersion } : {}),
        ...present('deployedBy', deployedBy),
        ...present('deployedAt', deployedAt),
        environmentLocks: locks(mustRead(environment.locks)),
        appLocks: locks(state ? mustRead(state.locks) : undefined),
        teamLocks: locks(teamLocks ? mustRead(teamLocks) : undefined),
      };
    });
  }
}
