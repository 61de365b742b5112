// GET /api/overview: every environment (by group) and application, from one snapshot.
// Corrupt data is listed under `problems` instead of failing the whole overview.
import { CorruptRepoError } from '../domain/errors.js';
import type { MetadataText, RepositoryReader } from '../manifest/repository.js';
import { deployWindowState } from '../planning/deployWindows.js';
import { METADATA_MAX_BYTES, tooLarge } from '../planning/layout.js';
import type { Lock, LockMap, Readable, Snapshot } from '../planning/model.js';
import { sortedKeys } from '../planning/readable.js';
import { lockInForce } from '../planning/timedLocks.js';
import type { LockState } from '../schemas/locks.js';
import type { Overview } from '../schemas/overview.js';
import { toLockView } from './prognosisView.js';

type OverviewEnvironment = Overview['environmentGroups'][number]['environments'][number];
type OverviewApp = OverviewEnvironment['applications'][string];

export class OverviewService {
  /** The display versions read for the last commit asked about (a commit never changes). */
  private displayVersionsOf: { commitId: string; versions: Map<string, string> } | undefined;

  constructor(
    private readonly repo: RepositoryReader,
    /** "Now" of the timed locks' inForce and the deploy windows. */
    private readonly clock: () => Date,
  ) {}

  async read(): Promise<Overview> {
    return this.overviewOf(await this.repo.readTipSnapshot());
  }

  /**
   * The overview, and the display version of every release that is deployed or queued somewhere
   * (by `<app>/<version>`), from one snapshot: what people read in the web UI. A display version
   * that cannot be read is listed under `problems`, and the number is shown instead.
   */
  async readWithDisplayVersions(): Promise<{
    overview: Overview;
    displayVersions: ReadonlyMap<string, string>;
  }> {
    const snapshot = await this.repo.readTipSnapshot();
    const overview = await this.overviewOf(snapshot);
    const paths = new Map<string, string>();
    for (const group of overview.environmentGroups) {
      for (const environment of group.environments) {
        for (const app of Object.values(environment.applications)) {
          for (const version of [app.version, app.queuedVersion]) {
            if (version === undefined) continue;
            paths.set(
              `${app.name}/${version}`,
              `applications/${app.name}/releases/${version}/display_version`,
            );
          }
        }
      }
    }
    const displayVersions = new Map<string, string>();
    if (snapshot.commitId === null || paths.size === 0) return { overview, displayVersions };
    const cached =
      this.displayVersionsOf?.commitId === snapshot.commitId ? this.displayVersionsOf.versions : undefined;
    const missing = [...paths].filter(([release]) => !cached?.has(release));
    const found = await this.repo.readPathsAt(
      snapshot.commitId,
      missing.map(([, path]) => path),
    );
    const read = new Map<string, string>(cached);
    for (const [release, path] of missing) {
      const object = found.get(path);
      // No file: no display version (remembered as "", which is none).
      if (!object) read.set(release, '');
      else if (object.type !== 'blob')
        overview.problems.push({ file: path, reason: `a ${object.type} where a file belongs` });
      else if (object.oversized)
        overview.problems.push({ file: path, reason: tooLarge(object.size, METADATA_MAX_BYTES) });
      else read.set(release, object.content.toString('utf8').trim());
    }
    this.displayVersionsOf = { commitId: snapshot.commitId, versions: read };
    for (const release of paths.keys()) {
      const text = read.get(release);
      if (text) displayVersions.set(release, text);
    }
    return { overview, displayVersions };
  }

  /** The teams the applications name, in byte order (for choosing one). */
  async teams(): Promise<string[]> {
    const snapshot = await this.repo.readTipSnapshot();
    const teams = new Set([...snapshot.applications.values()].map((application) => application.team));
    teams.delete('');
    return [...teams].sort();
  }

  private async overviewOf(snapshot: Snapshot): Promise<Overview> {
    const recordBlobs: string[] = [];
    // Whether a deployed version is an undeploy version: one tree read per release (not its manifests).
    const deployedReleases = new Map<string, { app: string; version: number }>();
    for (const environment of snapshot.environments.values()) {
      for (const [app, state] of environment.applications) {
        const { deployedBy, deployedByEmail, deployedAt } = state.deploymentRecord;
        for (const oid of [deployedBy, deployedByEmail, deployedAt]) if (oid) recordBlobs.push(oid);
        const version = state.deployedVersion.ok ? state.deployedVersion.value : undefined;
        if (version !== undefined) deployedReleases.set(`${app}/${version}`, { app, version });
      }
    }
    // One by one (the reads still go to git in one batch): a corrupt release is one problem listed.
    const [texts, markers] = await Promise.all([
      this.repo.readMetadataTexts(recordBlobs),
      Promise.allSettled(
        [...deployedReleases.values()].map((release) => this.repo.loadUndeployMarkers(snapshot, [release])),
      ),
    ]);
    const markerProblems: Overview['problems'] = [];
    for (const marker of markers) {
      if (marker.status === 'fulfilled') continue;
      if (!(marker.reason instanceof CorruptRepoError)) throw marker.reason;
      markerProblems.push({ file: marker.reason.file, reason: marker.reason.reason });
    }
    return buildOverview(snapshot, texts, this.clock(), markerProblems);
  }
}

/** A lock as the overview shows it: with whether it is in force at `now`. */
export function toLockState(lock: Lock, now: Date): LockState {
  return { ...toLockView(lock), inForce: lockInForce(lock, now) };
}

/** `releaseProblems`: releases whose undeploy marker could not be read. */
export function buildOverview(
  snapshot: Snapshot,
  texts: ReadonlyMap<string, MetadataText>,
  now: Date,
  releaseProblems: Overview['problems'] = [],
): Overview {
  // The entries the snapshot could not model first; then each unreadable value once.
  const problems: Overview['problems'] = snapshot.problems.map(({ file, reason }) => ({ file, reason }));
  const listed = new Set(problems.map((problem) => `${problem.file}\0${problem.reason}`));
  const listProblem = (file: string, reason: string) => {
    const key = `${file}\0${reason}`;
    if (listed.has(key)) return;
    listed.add(key);
    problems.push({ file, reason });
  };
  const read = <T>(readable: Readable<T>, fallback: T): T => {
    if (readable.ok) return readable.value;
    listProblem(readable.file, readable.reason);
    return fallback;
  };
  const lockViews = (locks: Readable<LockMap>): Record<string, LockState> => {
    const map = read(locks, new Map<string, Lock>());
    return Object.fromEntries(sortedKeys(map).map((id) => [id, toLockState(map.get(id) as Lock, now)]));
  };
  const text = (oid: string | undefined, file: string) => {
    const content = oid === undefined ? undefined : texts.get(oid);
    if (content?.ok === false) listProblem(file, tooLarge(content.size, METADATA_MAX_BYTES));
    return content?.ok ? content.text : undefined;
  };

  const groups = new Map<string, OverviewEnvironment[]>();
  for (const name of sortedKeys(snapshot.environments)) {
    const environment = snapshot.environments.get(name);
    if (!environment) continue;
    const config = read(environment.config, undefined);
    const applications: Record<string, OverviewApp> = {};
    for (const app of sortedKeys(environment.applications)) {
      const state = environment.applications.get(app);
      if (!state) continue;
      const version = read(state.deployedVersion, undefined);
      const queuedVersion = read(state.queuedVersion, undefined);
      const path = `environments/${name}/applications/${app}`;
      const deployedBy = text(state.deploymentRecord.deployedBy, `${path}/deployed_by`);
      const deployedByEmail = text(state.deploymentRecord.deployedByEmail, `${path}/deployed_by_email`);
      const deployedAt = text(state.deploymentRecord.deployedAt, `${path}/deployed_at_utc`)?.trim();
      const undeploy =
        version !== undefined && snapshot.applications.get(app)?.releases.get(version)?.undeploy === true;
      applications[app] = {
        name: app,
        ...(version !== undefined ? { version } : {}),
        ...(queuedVersion !== undefined ? { queuedVersion } : {}),
        ...(undeploy ? { undeployVersion: true as const } : {}),
        ...(deployedBy !== undefined ? { deployedBy } : {}),
        ...(deployedByEmail !== undefined ? { deployedByEmail } : {}),
        ...(deployedAt !== undefined ? { deployedAt } : {}),
        locks: lockViews(state.locks),
      };
    }
    const teamLocks: Record<string, Record<string, LockState>> = {};
    for (const team of sortedKeys(environment.teamLocks)) {
      const locks = lockViews(environment.teamLocks.get(team) as Readable<LockMap>);
      if (Object.keys(locks).length > 0) teamLocks[team] = locks;
    }
    const group = config?.environmentGroup ?? name;
    const members = groups.get(group) ?? [];
    const windows = config ? read(config.deployWindows, []) : [];
    const window = windows.length > 0 ? deployWindowState(windows, now) : undefined;
    members.push({
      name,
      config: config?.raw ?? {},
      ...(window ? { inDeployWindow: window.open } : {}),
      ...(window && !window.open && window.nextStart
        ? { nextWindowStart: window.nextStart.toISOString() }
        : {}),
      locks: lockViews(environment.locks),
      teamLocks,
      applications,
    });
    groups.set(group, members);
  }

  for (const { file, reason } of releaseProblems) listProblem(file, reason);

  const applications: Overview['applications'] = {};
  for (const name of sortedKeys(snapshot.applications)) {
    const application = snapshot.applications.get(name);
    if (!application) continue;
    applications[name] = {
      name,
      team: application.team,
      releases: [...application.releases.keys()].sort((a, b) => a - b),
    };
  }
  return {
    environmentGroups: sortedKeys(groups).map((group) => ({
      environmentGroupName: group,
      environments: groups.get(group) ?? [],
    })),
    applications,
    problems,
  };
}
