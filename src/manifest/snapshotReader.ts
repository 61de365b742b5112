// Reads snapshots by walking git trees through the long-lived cat-file process, and keeps what
// it parsed keyed by tree id. Trees are content-addressed: a subtree with the same id is the same
// data, so the next commit re-reads only the subtrees that changed (an outside commit that
// touches a few files costs a few tree reads, not a walk of the whole repo).
// This is the walk: which trees are read, in which batches, and what is cached; what the entries
// mean is treeLayout.ts, release manifests are read on demand (releaseManifests.ts), and objects
// come bounded and batched from objectLoader.ts. What breaks the layout is an Unreadable value or
// a snapshot problem naming the path, never an exception that fails every request, nor an entry
// that silently drops out.

import type { UnsureParts } from '../planning/applyChanges.js';
import { LINK_MAX_BYTES, METADATA_MAX_BYTES } from '../planning/layout.js';
import type {
  Application,
  Environment,
  Lock,
  LockMap,
  Problem,
  Readable,
  Snapshot,
} from '../planning/model.js';
import { EMPTY_LOCKS } from '../planning/readable.js';
import type { CatFileBatch } from './catFileBatch.js';
import type { ObjectFormat } from './git.js';
import {
  type BlobText,
  cachedRead,
  GenerationalCache,
  keepUnlessFailed,
  ObjectLoader,
} from './objectLoader.js';
import { loadReleases, loadUndeployMarkers, releasesIn } from './releaseManifests.js';
import {
  type AppDirectory,
  appDirectoryOf,
  appInEnvironmentOf,
  applicationEntryProblem,
  assembleEnvironment,
  configEntryProblem,
  configOf,
  directoryProblem,
  environmentEntryProblem,
  hidesApplication,
  hidesEnvironment,
  invalidlyNamed,
  lockEntriesProblem,
  lockFieldEntries,
  lockFieldEntryProblem,
  lockOf,
  metadataFile,
  notADirectoryValue,
  type RawAppInEnvironment,
  type RawEnvironment,
  rawAppInEnvironment,
  requireDirectory,
  sortedMap,
  sortProblems,
  teamEntryProblem,
  teamOf,
  unreadableApp,
  unreadableTree,
  versionLinkOids,
} from './treeLayout.js';
import { type Tree, type TreeEntry, UnreadableTreeError } from './treeParser.js';

/**
 * Environments read at the same time: enough to keep git busy while one is parsed, few enough
 * that what is read stays young (all at once, a cold read's parsed trees outlived the young
 * generation and garbage collection was a third of the read).
 */
const ENVIRONMENTS_READ_AT_ONCE = 3;

/** `work` for each item, at most `atOnce` of them under way at a time. */
async function inTurns<T>(
  items: readonly T[],
  atOnce: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
}

/** An app's directory in an environment as read, by the id of its tree. */
interface ReadApp {
  readonly treeOid: string;
  readonly raw: RawAppInEnvironment;
}

export class SnapshotReader {
  private readonly loader: ObjectLoader;
  // Keyed by path and tree id: the Unreadable values inside name their path.
  private readonly environments = new GenerationalCache<Promise<Readable<RawEnvironment>>>();
  // By an environment's `applications` path, its apps as read (by name, with their tree ids):
  // values, not promises, so a failed read is never kept, and no key string is made per app.
  private readonly appsInEnvironments = new GenerationalCache<ReadonlyMap<string, ReadApp>>();
  private readonly applications = new GenerationalCache<Promise<Readable<Omit<Application, 'name'>>>>();
  // Keyed by blob id: the same text wherever it is.
  private readonly metadataBlobs = new GenerationalCache<Promise<BlobText>>();
  private readonly linkBlobs = new GenerationalCache<Promise<BlobText>>();

  constructor(objects: CatFileBatch, objectFormat: ObjectFormat) {
    this.loader = new ObjectLoader(objects, objectFormat);
  }

  /** The snapshot of a commit (null: an unborn branch, the empty snapshot). */
  async read(commitId: string | null): Promise<Snapshot> {
    for (const cache of [
      this.environments,
      this.appsInEnvironments,
      this.applications,
      this.metadataBlobs,
      this.linkBlobs,
    ]) {
      cache.nextGeneration();
    }
    if (commitId === null) {
      return { commitId, environments: new Map(), applications: new Map(), problems: [] };
    }
    const problems: Problem[] = [];
    const root = await this.loader.tree(`${commitId}^{tree}`, '/');
    const [environmentsTree, applicationsTree] = await Promise.all([
      this.topTree(root, 'environments', problems),
      this.topTree(root, 'applications', problems),
    ]);
    // Applications and environments are read side by side (git answers one while the other is
    // parsed); an environment is assembled once the applications its links name are known.
    const applications = new Map<string, Application>();
    const rawEnvironments = new Map<string, RawEnvironment>();
    await Promise.all([
      Promise.all(
        [...applicationsTree.values()].map(async (entry) => {
          const problem = applicationEntryProblem(entry);
          if (problem) return void problems.push(problem);
          const path = `applications/${entry.name}`;
          const application = await cachedRead(this.applications, `${path}\0${entry.oid}`, () =>
            this.readApplication(entry.oid, path),
          );
          if (!application.ok) {
            problems.push({
              file: application.file,
              reason: application.reason,
              hides: hidesApplication(entry),
            });
          } else applications.set(entry.name, { name: entry.name, ...application.value });
        }),
      ),
      inTurns([...environmentsTree.values()], ENVIRONMENTS_READ_AT_ONCE, async (entry) => {
        const problem = environmentEntryProblem(entry);
        if (problem) return void problems.push(problem);
        const path = `environments/${entry.name}`;
        const raw = await cachedRead(this.environments, `${path}\0${entry.oid}`, () =>
          this.readEnvironment(entry.oid, path),
        );
        if (!raw.ok) {
          return void problems.push({ file: raw.file, reason: raw.reason, hides: hidesEnvironment(entry) });
        }
        problems.push(...raw.value.problems);
        rawEnvironments.set(entry.name, raw.value);
      }),
    ]);
    const environments = new Map<string, Environment>();
    for (const [name, raw] of rawEnvironments) {
      environments.set(name, assembleEnvironment(name, raw, applications));
    }
    return {
      commitId,
      environments: sortedMap(environments),
      applications: sortedMap(applications),
      problems: sortProblems(problems),
    };
  }

  /**
   * Takes a snapshot that was derived from our own commit (not read) as what its subtrees hold,
   * so that the next read of a later commit re-reads only what changed after it. Reads the few
   * trees that name the changed subtrees; parts with unreadable data or problems are left to be
   * read. The parts the derivation was unsure of are read from the commit instead: then the answer
   * is a read of the commit that costs only those parts, the rest being what was adopted.
   */
  async adopt(derived: Snapshot, unsure: UnsureParts | null = null): Promise<Snapshot> {
    if (derived.commitId === null) return derived;
    const ignored: Problem[] = [];
    const root = await this.loader.tree(`${derived.commitId}^{tree}`, '/');
    const [environmentsTree, applicationsTree] = await Promise.all([
      this.topTree(root, 'environments', ignored),
      unsure ? this.topTree(root, 'applications', ignored) : new Map<string, TreeEntry>(),
    ]);
    await Promise.all(
      [...environmentsTree.values()].map(async (entry) => {
        const path = `environments/${entry.name}`;
        const key = `${path}\0${entry.oid}`;
        const environment = derived.environments.get(entry.name);
        if (!environment || entry.kind !== 'tree' || this.environments.get(key)) return;
        if (derived.problems.some((problem) => problem.file.startsWith(`${path}/`))) return;
        const unsureApps = unsure?.appsInEnvironments.get(entry.name);
        const applicationsEntry = (await this.loader.tree(entry.oid, path)).get('applications');
        const applicationsTree =
          applicationsEntry?.kind === 'tree'
            ? await this.loader.tree(applicationsEntry.oid, `${path}/applications`)
            : new Map<string, TreeEntry>();
        const applications = new Map<string, RawAppInEnvironment>();
        const appsPath = `${path}/applications`;
        const readApps = new Map(this.appsInEnvironments.get(appsPath));
        let appDirectories = 0;
        for (const app of applicationsTree.values()) {
          if (app.kind !== 'tree') continue;
          appDirectories++;
          const state = environment.applications.get(app.name);
          const raw = state && !unsureApps?.has(app.name) ? rawAppInEnvironment(app.name, state) : undefined;
          if (!raw) continue;
          applications.set(app.name, raw);
          readApps.set(app.name, { treeOid: app.oid, raw });
        }
        this.appsInEnvironments.set(appsPath, readApps);
        const { config, locks, teamLocks } = environment;
        const readable = config.ok && locks.ok && [...teamLocks.values()].every((team) => team.ok);
        // Every app of the environment taken, and only those git has: the environment is as derived.
        const complete =
          applications.size === environment.applications.size && applications.size === appDirectories;
        if (readable && complete && !unsure?.environments.has(entry.name)) {
          this.environments.set(
            key,
            Promise.resolve({ ok: true, value: { config, locks, teamLocks, applications, problems: [] } }),
          );
        }
      }),
    );
    if (!unsure) return derived;
    for (const entry of applicationsTree.values()) {
      const key = `applications/${entry.name}\0${entry.oid}`;
      const application = derived.applications.get(entry.name);
      if (entry.kind !== 'tree' || !application || unsure.applications.has(entry.name)) continue;
      if (this.applications.get(key)) continue;
      const { team, releases, latestRelease } = application;
      this.applications.set(key, Promise.resolve({ ok: true, value: { team, releases, latestRelease } }));
    }
    return this.read(derived.commitId);
  }

  /** Reads the manifests of the given releases, where not read yet (or being read). */
  loadReleases(snapshot: Snapshot, wanted: Iterable<{ app: string; version: number }>): Promise<void> {
    return loadReleases(this.loader, snapshot, wanted);
  }

  /** Reads whether the given releases are undeploy versions, where not known yet. */
  loadUndeployMarkers(snapshot: Snapshot, wanted: Iterable<{ app: string; version: number }>): Promise<void> {
    return loadUndeployMarkers(this.loader, snapshot, wanted);
  }

  private async readApplication(treeOid: string, path: string): Promise<Readable<Omit<Application, 'name'>>> {
    try {
      const tree = await this.loader.tree(treeOid, path);
      const broken = directoryProblem(tree, ['releases'], path);
      if (broken) return broken;
      const releasesEntry = tree.get('releases');
      const [team, releasesTree] = await Promise.all([
        this.readTeam(tree.get('team'), `${path}/team`),
        releasesEntry
          ? this.loader.tree(releasesEntry.oid, `${path}/releases`)
          : new Map<string, TreeEntry>(),
      ]);
      if (!team.ok) return team;
      return { ok: true, value: { team: team.value, ...releasesIn(releasesTree, `${path}/releases`) } };
    } catch (error) {
      return unreadableTree(error);
    }
  }

  private async readTeam(entry: TreeEntry | undefined, file: string): Promise<Readable<string>> {
    if (!entry) return teamOf(undefined, file);
    return teamEntryProblem(entry, file) ?? teamOf(await this.metadataText(entry.oid), file);
  }

  private async readEnvironment(treeOid: string, path: string): Promise<Readable<RawEnvironment>> {
    try {
      const tree = await this.loader.tree(treeOid, path);
      const broken = directoryProblem(tree, ['applications', 'teams'], path);
      if (broken) return broken;
      const problems: Problem[] = [];
      const [config, locks, teamLocks, applications] = await Promise.all([
        this.readConfig(tree.get('config.json'), `${path}/config.json`),
        this.readLocks(tree.get('locks'), `${path}/locks`),
        this.readTeamLocks(tree.get('teams'), `${path}/teams`, problems),
        this.readAppsInEnvironment(tree.get('applications'), `${path}/applications`, problems),
      ]);
      return { ok: true, value: { config, locks, teamLocks, applications, problems } };
    } catch (error) {
      return unreadableTree(error);
    }
  }

  private async readConfig(entry: TreeEntry | undefined, file: string) {
    if (!entry) return configOf(undefined, file);
    return configEntryProblem(entry, file) ?? configOf(await this.metadataText(entry.oid), file);
  }

  /** Team locks by team; `teams` itself not being a directory makes the environment unreadable. */
  private async readTeamLocks(
    entry: TreeEntry | undefined,
    path: string,
    problems: Problem[],
  ): Promise<ReadonlyMap<string, Readable<LockMap>>> {
    const teams = new Map<string, Readable<LockMap>>();
    if (!entry) return teams;
    requireDirectory(entry, path);
    const tree = await this.loader.tree(entry.oid, path);
    await Promise.all(
      [...tree.values()].map(async (team) => {
        const ignored = invalidlyNamed('team', team, path);
        if (ignored) return void problems.push(ignored);
        const teamPath = `${path}/${team.name}`;
        const broken = notADirectoryValue(team, teamPath);
        if (broken) return void teams.set(team.name, broken);
        try {
          const locks = (await this.loader.tree(team.oid, teamPath)).get('locks');
          if (locks) teams.set(team.name, await this.readLocks(locks, `${teamPath}/locks`));
        } catch (error) {
          teams.set(team.name, unreadableTree(error));
        }
      }),
    );
    return sortedMap(teams);
  }

  /**
   * The apps of one environment, in two batched round trips (their trees, then their version
   * symlinks) rather than a promise chain per app: this is most of a cold read.
   */
  private async readAppsInEnvironment(
    entry: TreeEntry | undefined,
    path: string,
    problems: Problem[],
  ): Promise<ReadonlyMap<string, RawAppInEnvironment>> {
    const apps = new Map<string, RawAppInEnvironment>();
    if (!entry) return apps;
    requireDirectory(entry, path);
    const tree = await this.loader.tree(entry.oid, path);
    const known = this.appsInEnvironments.get(path);
    const readApps = new Map<string, ReadApp>();
    const unread: TreeEntry[] = [];
    for (const app of tree.values()) {
      const ignored = invalidlyNamed('application', app, path);
      if (ignored) {
        problems.push(ignored);
        continue;
      }
      const broken = notADirectoryValue(app, `${path}/${app.name}`);
      if (broken) {
        apps.set(app.name, unreadableApp(broken));
        continue;
      }
      const read = known?.get(app.name);
      if (read?.treeOid === app.oid) {
        apps.set(app.name, read.raw);
        readApps.set(app.name, read);
      } else unread.push(app);
    }
    // Each tree is taken apart as soon as it is parsed: only what the snapshot uses outlives it.
    const directories: { app: TreeEntry; directory: AppDirectory }[] = [];
    const linkOids = new Set<string>();
    const appTrees = await this.loader.trees(
      unread.map((app) => ({ oid: app.oid, path: `${path}/${app.name}` })),
    );
    for (const [index, app] of unread.entries()) {
      const appTree = appTrees[index] as Tree | UnreadableTreeError;
      if (appTree instanceof UnreadableTreeError) {
        apps.set(app.name, unreadableApp(unreadableTree(appTree)));
        continue;
      }
      const directory = appDirectoryOf(appTree);
      directories.push({ app, directory });
      for (const oid of versionLinkOids(directory)) linkOids.add(oid);
    }
    // Environments share most symlink blobs (every environment at release 8 links to the same
    // target), so they are cached by id: at Kuberpult scale ~2,000 reads instead of ~32,000.
    const linkTexts = new Map<string, BlobText>();
    const texts: Promise<void>[] = [];
    const unreadLinks = [...linkOids].filter((oid) => {
      const cached = this.linkBlobs.get(oid);
      if (cached) texts.push(cached.then((text) => void linkTexts.set(oid, text)));
      return !cached;
    });
    if (unreadLinks.length > 0) {
      const read = this.loader.texts(unreadLinks, LINK_MAX_BYTES);
      unreadLinks.forEach((oid, index) => {
        // In the cache before the read finishes, so that environments read meanwhile share it.
        const text = read[index] as Promise<BlobText>;
        keepUnlessFailed(this.linkBlobs, oid, text);
        texts.push(text.then((value) => void linkTexts.set(oid, value)));
      });
    }
    await Promise.all(texts);
    // Most apps have no locks: those are done without a promise each.
    const withLocks: Promise<void>[] = [];
    for (const { app, directory } of directories) {
      const appPath = `${path}/${app.name}`;
      const keep = (locks: Readable<LockMap>) => {
        const raw = appInEnvironmentOf(directory, appPath, linkTexts, locks);
        readApps.set(app.name, { treeOid: app.oid, raw });
        apps.set(app.name, raw);
      };
      if (directory.locks) withLocks.push(this.readLocks(directory.locks, `${appPath}/locks`).then(keep));
      else keep(EMPTY_LOCKS);
    }
    await Promise.all(withLocks);
    this.appsInEnvironments.set(path, readApps);
    return apps;
  }

  /** Lock directories under `path`: the entries are checked first, then the lock files, each in tree order. */
  private async readLocks(entry: TreeEntry | undefined, path: string): Promise<Readable<LockMap>> {
    if (!entry) return EMPTY_LOCKS;
    const notADirectory = notADirectoryValue(entry, path);
    if (notADirectory) return notADirectory;
    try {
      const tree = await this.loader.tree(entry.oid, path);
      const broken = lockEntriesProblem(tree, path);
      if (broken) return broken;
      const read = await Promise.all(
        [...tree.values()].map((lock) => this.readLock(lock, `${path}/${lock.name}`)),
      );
      const locks = new Map<string, Lock>();
      for (const lock of read) {
        if (!lock.ok) return lock;
        locks.set(lock.value.lockId, lock.value);
      }
      return { ok: true, value: sortedMap(locks) };
    } catch (error) {
      return unreadableTree(error);
    }
  }

  private async readLock(entry: TreeEntry, path: string): Promise<Readable<Lock>> {
    const fieldEntries = lockFieldEntries(await this.loader.tree(entry.oid, path));
    const read = await Promise.all(
      fieldEntries.map(async (field): Promise<Readable<string>> => {
        const file = `${path}/${field.name}`;
        return lockFieldEntryProblem(field, file) ?? metadataFile(await this.metadataText(field.oid), file);
      }),
    );
    const fields = new Map<string, string>();
    for (const [index, field] of fieldEntries.entries()) {
      const text = read[index] as Readable<string>;
      if (!text.ok) return text;
      fields.set(field.name, text.value);
    }
    return lockOf(entry.name, fields, path);
  }

  private metadataText(oid: string): Promise<BlobText> {
    return cachedRead(this.metadataBlobs, oid, () => this.loader.text(oid, METADATA_MAX_BYTES));
  }

  /** A top-level directory: one that is not a tree (or cannot be read as one) is a problem, read as empty. */
  private async topTree(
    root: Tree,
    name: 'environments' | 'applications',
    problems: Problem[],
  ): Promise<Tree> {
    const entry = root.get(name);
    if (!entry) return new Map();
    try {
      requireDirectory(entry, name);
      return await this.loader.tree(entry.oid, name);
    } catch (error) {
      const unreadable = unreadableTree(error);
      problems.push({ file: unreadable.file, reason: unreadable.reason, hides: { kind: name } });
      return new Map();
    }
  }
}
