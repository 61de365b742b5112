// The snapshot after a commit of the service's own, derived from the snapshot the write was
// planned on and the changes it made, so the next request needs no read of the repo. Pure: the
// blob ids of new content come from `blobIdOf`. Tests check the result equals a fresh read.

import { parseReleaseNumber } from '../schemas/names.js';
import type { TreeChange } from './changes.js';
import { checkVersionLink, LOCK_FIELD_FILES, parseEnvironmentConfig, SYMLINK_MODE } from './layout.js';
import type {
  AppInEnvironment,
  DeploymentRecordBlobs,
  Environment,
  Lock,
  LockMap,
  Readable,
  Release,
  Snapshot,
} from './model.js';
import { compareNames } from './readable.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface DraftEnvironment {
  name: string;
  config: Environment['config'];
  locks: Readable<LockMap>;
  teamLocks: Map<string, Readable<LockMap>>;
  applications: Map<string, AppInEnvironment>;
}

interface DraftApplication {
  name: string;
  team: string;
  releases: Map<number, Release>;
  latestRelease: number | undefined;
}

interface DraftApp {
  versionTarget: string | undefined | null;
  queuedTarget: string | undefined | null;
  locks: Readable<Map<string, Lock>>;
  deploymentRecord: Mutable<DeploymentRecordBlobs>;
}

export function applyChanges(
  snapshot: Snapshot,
  changes: readonly TreeChange[],
  commitId: string,
  blobIdOf: (content: string | Buffer) => string,
): Snapshot {
  const environments = new Map(snapshot.environments);
  const applications = new Map(snapshot.applications);
  const draftEnvironments = new Map<string, DraftEnvironment>();
  const draftApps = new Map<string, Map<string, DraftApp>>();

  const environment = (name: string): DraftEnvironment => {
    let draft = draftEnvironments.get(name);
    if (!draft) {
      const base = environments.get(name);
      draft = base
        ? { ...base, teamLocks: new Map(base.teamLocks), applications: new Map(base.applications) }
        : {
            name,
            config: { ok: true, value: { upstream: null, environmentGroup: undefined, raw: {} } },
            locks: { ok: true, value: new Map() },
            teamLocks: new Map(),
            applications: new Map(),
          };
      draftEnvironments.set(name, draft);
    }
    return draft;
  };
  const appIn = (environmentName: string, app: string): DraftApp => {
    let apps = draftApps.get(environmentName);
    if (!apps) {
      apps = new Map();
      draftApps.set(environmentName, apps);
    }
    let draft = apps.get(app);
    if (!draft) {
      const base = environment(environmentName).applications.get(app);
      draft = {
        // null: unchanged, read from the base when the snapshot is assembled.
        versionTarget: null,
        queuedTarget: null,
        locks: base ? copyLocks(base.locks) : { ok: true, value: new Map() },
        deploymentRecord: { ...base?.deploymentRecord },
      };
      apps.set(app, draft);
    }
    return draft;
  };
  const draftApplications = new Map<string, DraftApplication>();
  const application = (name: string): DraftApplication => {
    let draft = draftApplications.get(name);
    if (!draft) {
      const base = applications.get(name);
      draft = base
        ? { ...base, releases: new Map(base.releases) }
        : { name, team: '', releases: new Map(), latestRelease: undefined };
      draftApplications.set(name, draft);
      applications.set(name, draft);
    }
    return draft;
  };

  for (const change of changes) {
    const parts = change.path.split('/');
    const content =
      change.kind === 'file' ? change.content : change.kind === 'symlink' ? change.target : undefined;
    const text = content === undefined ? undefined : content.toString();
    const [top, name, kind, ...rest] = parts;
    if (name === undefined || kind === undefined) continue;
    if (top === 'environments') {
      const draft = environment(name);
      if (kind === 'config.json' && rest.length === 0 && text !== undefined) {
        draft.config = parseEnvironmentConfig(text, change.path);
      } else if (kind === 'locks') {
        draft.locks = applyLockChange(draft.locks, rest, change.kind, text);
      } else if (kind === 'teams' && rest[1] === 'locks') {
        const team = rest[0] as string;
        const locks = draft.teamLocks.get(team);
        draft.teamLocks.set(
          team,
          applyLockChange(
            locks ? copyLocks(locks) : { ok: true, value: new Map() },
            rest.slice(2),
            change.kind,
            text,
          ),
        );
      } else if (kind === 'applications' && rest[0] !== undefined) {
        const [app, file, ...deeper] = rest as [string, string | undefined, ...string[]];
        const draftApp = appIn(name, app);
        if (file === 'version') draftApp.versionTarget = change.kind === 'delete' ? undefined : (text ?? '');
        else if (file === 'queued_version')
          draftApp.queuedTarget = change.kind === 'delete' ? undefined : (text ?? '');
        else if (file === 'locks')
          draftApp.locks = applyLockChange(draftApp.locks, deeper, change.kind, text);
        else if (file === 'deployed_by' && content !== undefined)
          draftApp.deploymentRecord.deployedBy = blobIdOf(content);
        else if (file === 'deployed_by_email' && content !== undefined) {
          draftApp.deploymentRecord.deployedByEmail = blobIdOf(content);
        } else if (file === 'deployed_at_utc' && content !== undefined) {
          draftApp.deploymentRecord.deployedAt = blobIdOf(content);
        }
      }
    } else if (top === 'applications') {
      const draft = application(name);
      if (kind === 'team' && rest.length === 0 && text !== undefined) draft.team = text.trim();
      const version =
        kind === 'releases' && rest.length > 1 ? parseReleaseNumber(rest[0] as string) : undefined;
      if (version !== undefined) {
        const base = draft.releases.get(version);
        const manifests = new Map(base?.manifests ?? []);
        if (rest[1] === 'environments' && rest[3] === 'manifests.yaml' && content !== undefined) {
          manifests.set(rest[2] as string, blobIdOf(content));
        }
        draft.releases.set(version, { version, manifests } satisfies Release);
        if (draft.latestRelease === undefined || version > draft.latestRelease) draft.latestRelease = version;
      }
    }
  }

  for (const [name, draft] of draftEnvironments) {
    for (const [app, draftApp] of draftApps.get(name) ?? []) {
      const base = draft.applications.get(app);
      const path = `environments/${name}/applications/${app}`;
      const link = (
        target: string | undefined | null,
        file: string,
        previous: Readable<number | undefined>,
      ) =>
        target === null
          ? previous
          : checkVersionLink(
              target === undefined ? undefined : { mode: SYMLINK_MODE, target },
              `${path}/${file}`,
              app,
              applications,
            );
      const state: AppInEnvironment = {
        deployedVersion: link(
          draftApp.versionTarget,
          'version',
          base?.deployedVersion ?? { ok: true, value: undefined },
        ),
        queuedVersion: link(
          draftApp.queuedTarget,
          'queued_version',
          base?.queuedVersion ?? { ok: true, value: undefined },
        ),
        locks: sortLocks(draftApp.locks),
        deploymentRecord: draftApp.deploymentRecord,
      };
      draft.applications.set(app, state);
    }
    draft.locks = sortLocks(draft.locks);
    for (const [team, locks] of draft.teamLocks) draft.teamLocks.set(team, sortLocks(locks));
    draft.applications = sortedMap(draft.applications);
    draft.teamLocks = sortedMap(draft.teamLocks);
    environments.set(name, draft);
  }
  return {
    commitId,
    environments: sortedMap(environments),
    applications: sortedMap(applications),
    // Writes never touch an entry the snapshot could not model (planning/problems.ts).
    problems: snapshot.problems,
  };
}

function applyLockChange(
  locks: Readable<LockMap>,
  rest: readonly string[],
  kind: TreeChange['kind'],
  text: string | undefined,
): Readable<Map<string, Lock>> {
  if (!locks.ok) return locks;
  const next = new Map(locks.value);
  const [lockId, field] = rest;
  if (lockId === undefined) return { ok: true, value: next };
  if (kind === 'delete' && field === undefined) {
    next.delete(lockId);
    return { ok: true, value: next };
  }
  const property =
    field !== undefined && Object.hasOwn(LOCK_FIELD_FILES, field) ? LOCK_FIELD_FILES[field] : undefined;
  if (property === undefined || text === undefined) return { ok: true, value: next };
  const lock: Mutable<Lock> = {
    ...(next.get(lockId) ?? { lockId, message: '', createdAt: '', createdByName: '', createdByEmail: '' }),
  };
  if (property === 'createdAt') lock.createdAt = text.trim();
  else if (property !== 'lockId') lock[property] = text;
  if (lock.ciLink === '') delete lock.ciLink;
  if (lock.suggestedLifetime === '') delete lock.suggestedLifetime;
  next.set(lockId, lock);
  return { ok: true, value: next };
}

function copyLocks(locks: Readable<LockMap>): Readable<Map<string, Lock>> {
  return locks.ok ? { ok: true, value: new Map(locks.value) } : locks;
}

function sortLocks(locks: Readable<LockMap>): Readable<LockMap> {
  return locks.ok ? { ok: true, value: sortedMap(new Map(locks.value)) } : locks;
}

function sortedMap<V>(map: ReadonlyMap<string, V>): Map<string, V> {
  return new Map([...map].sort(([a], [b]) => compareNames(a, b)));
}
