// Reads snapshots by walking git trees through the long-lived cat-file process, and keeps what
// it parsed keyed by tree id. Trees are content-addressed: a subtree with the same id is the same
// data, so the next commit re-reads only the subtrees that changed (an outside commit that
// touches a few files costs a few tree reads, not a walk of the whole repo).
// Release manifests are read lazily, only for the releases a request needs.
// Everything read is bounded (trees, metadata files, symlink targets), and what breaks the
// layout is an Unreadable value or a snapshot problem naming the path, never an exception that
// fails every request, nor an entry that silently drops out.

import { CorruptRepoError } from '../domain/errors.js';
import { parseReleaseNumber } from '../domain/names.js';
import type { UnsureParts } from '../planning/applyChanges.js';
import { releaseLink } from '../planning/changes.js';
import {
  checkVersionLink,
  invalidName,
  LINK_MAX_BYTES,
  LOCK_FIELD_FILES,
  linkTooLarge,
  METADATA_MAX_BYTES,
  notADirectory,
  notAFile,
  parseEnvironmentConfig,
  pathName,
  SYMLINK_MODE,
  tooLarge,
  type VersionLink,
} from '../planning/layout.js';
import type {
  AppInEnvironment,
  Application,
  DeploymentRecordBlobs,
  Environment,
  EnvironmentConfig,
  Lock,
  LockMap,
  Problem,
  Readable,
  Release,
  Snapshot,
  Unreadable,
} from '../planning/model.js';
import type { CatFileBatch, ObjectRead } from './catFileBatch.js';
import type { ObjectFormat } from './git.js';
import { cachedRead, GenerationalCache, keepUnlessFailed, ObjectLoader } from './objectLoader.js';
import { parseTree, type Tree, type TreeEntry, UnreadableTreeError } from './treeParser.js';

/** The largest tree read (an `applications` tree of 10,000 apps is ~0.5 MiB). */
export const TREE_MAX_BYTES = 32 * 1024 * 1024;

/** An app's directory in an environment, before its symlinks are checked against the releases. */
interface RawAppInEnvironment {
  readonly version: VersionLink | Unreadable | undefined;
  readonly queued: VersionLink | Unreadable | undefined;
  readonly locks: Readable<LockMap>;
  readonly deploymentRecord: DeploymentRecordBlobs;
}

interface RawEnvironment {
  readonly config: Readable<EnvironmentConfig>;
  readonly locks: Readable<LockMap>;
  readonly teamLocks: ReadonlyMap<string, Readable<LockMap>>;
  readonly applications: ReadonlyMap<string, RawAppInEnvironment>;
  /** Entries inside it that were left out (apps and teams with invalid names). */
  readonly problems: readonly Problem[];
}

/** A release whose manifests are filled in when a request needs them. */
interface LazyRelease extends Release {
  manifests: ReadonlyMap<string, string> | undefined;
  readonly treeOid: string;
  readonly path: string;
}

/** A blob's text, or its size when it is over the limit it was read with. */
type BlobText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly size: number };

const EMPTY_CONFIG: EnvironmentConfig = { upstream: null, environmentGroup: undefined, raw: {} };

export class SnapshotReader {
  readonly loader: ObjectLoader;
  private readonly hashBytes: number;
  // Keyed by path and tree id: the Unreadable values inside name their path.
  private readonly environments = new GenerationalCache<Promise<Readable<RawEnvironment>>>();
  // Values, not promises: kept once read, so a failed read is never kept (and a cold read makes
  // no extra promise per app).
  private readonly appsInEnvironment = new GenerationalCache<RawAppInEnvironment>();
  private readonly applications = new GenerationalCache<Promise<Readable<Omit<Application, 'name'>>>>();
  // Keyed by blob id: the same text wherever it is.
  private readonly metadataBlobs = new GenerationalCache<Promise<BlobText>>();
  private readonly linkBlobs = new GenerationalCache<Promise<BlobText>>();
  private readonly releaseLoads = new WeakMap<LazyRelease, Promise<void>>();

  constructor(objects: CatFileBatch, objectFormat: ObjectFormat) {
    this.loader = new ObjectLoader(objects);
    this.hashBytes = objectFormat === 'sha256' ? 32 : 20;
  }

  /** The snapshot of a commit (null: an unborn branch, the empty snapshot). */
  async read(commitId: string | null): Promise<Snapshot> {
    for (const cache of [
      this.environments,
      this.appsInEnvironment,
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
    const root = await this.treeAt(`${commitId}^{tree}`, '/');
    const [environmentsTree, applicationsTree] = await Promise.all([
      this.topTree(root, 'environments', problems),
      this.topTree(root, 'applications', problems),
    ]);
    const applications = new Map<string, Application>();
    await Promise.all(
      [...applicationsTree.values()].map(async (entry) => {
        const path = `applications/${pathName(entry.name)}`;
        const invalid = invalidName('application', entry.name);
        if (invalid) return void problems.push({ file: path, reason: invalid, hides: { kind: 'ignored' } });
        const hides = { kind: 'application', name: entry.name } as const;
        if (entry.kind !== 'tree') {
          return void problems.push({ file: path, reason: notADirectory(entry.kind), hides });
        }
        const application = await cachedRead(this.applications, `${path}\0${entry.oid}`, () =>
          this.readApplication(entry.oid, path),
        );
        if (!application.ok) problems.push({ file: application.file, reason: application.reason, hides });
        else applications.set(entry.name, { name: entry.name, ...application.value });
      }),
    );
    const environments = new Map<string, Environment>();
    await Promise.all(
      [...environmentsTree.values()].map(async (entry) => {
        const path = `environments/${pathName(entry.name)}`;
        const invalid = invalidName('environment', entry.name);
        // An environment of any name may be in any group: every group's members are unknown.
        if (invalid) {
          return void problems.push({
            file: path,
            reason: invalid,
            hides: { kind: 'environment', name: undefined },
          });
        }
        const hides = { kind: 'environment', name: entry.name } as const;
        if (entry.kind !== 'tree') {
          return void problems.push({ file: path, reason: notADirectory(entry.kind), hides });
        }
        const raw = await cachedRead(this.environments, `${path}\0${entry.oid}`, () =>
          this.readEnvironment(entry.oid, path),
        );
        if (!raw.ok) return void problems.push({ file: raw.file, reason: raw.reason, hides });
        problems.push(...raw.value.problems);
        environments.set(entry.name, assembleEnvironment(entry.name, raw.value, applications));
      }),
    );
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
    const root = await this.treeAt(`${derived.commitId}^{tree}`, '/');
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
        const applicationsEntry = (await this.tree(entry.oid, path)).get('applications');
        const applicationsTree =
          applicationsEntry?.kind === 'tree'
            ? await this.tree(applicationsEntry.oid, `${path}/applications`)
            : new Map<string, TreeEntry>();
        const applications = new Map<string, RawAppInEnvironment>();
        let appDirectories = 0;
        for (const app of applicationsTree.values()) {
          if (app.kind !== 'tree') continue;
          appDirectories++;
          const state = environment.applications.get(app.name);
          const raw = state && !unsureApps?.has(app.name) ? rawAppInEnvironment(app.name, state) : undefined;
          if (!raw) continue;
          applications.set(app.name, raw);
          const appKey = `${path}/applications/${app.name}\0${app.oid}`;
          if (!this.appsInEnvironment.get(appKey)) this.appsInEnvironment.set(appKey, raw);
        }
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
  async loadReleases(snapshot: Snapshot, wanted: Iterable<{ app: string; version: number }>): Promise<void> {
    const loads = new Set<Promise<void>>();
    for (const { app, version } of wanted) {
      const release = snapshot.applications.get(app)?.releases.get(version) as LazyRelease | undefined;
      if (!release || release.manifests !== undefined) continue;
      let load = this.releaseLoads.get(release);
      if (!load) {
        const started = this.loadRelease(release);
        load = started;
        // Requests on the same snapshot share the read; one that failed is tried again.
        this.releaseLoads.set(release, started);
        started.catch(() => this.releaseLoads.delete(release));
      }
      loads.add(load);
    }
    await Promise.all(loads);
  }

  /** A release's manifests; a release whose layout is broken is corrupt as a whole (CorruptRepoError). */
  private async loadRelease(release: LazyRelease): Promise<void> {
    const environmentsEntry = (await this.tree(release.treeOid, release.path)).get('environments');
    const path = `${release.path}/environments`;
    if (environmentsEntry && environmentsEntry.kind !== 'tree') {
      throw new CorruptRepoError(path, notADirectory(environmentsEntry.kind));
    }
    const environmentsTree = environmentsEntry ? await this.tree(environmentsEntry.oid, path) : new Map();
    const manifests = new Map<string, string>();
    await Promise.all(
      [...environmentsTree.values()].map(async (entry: TreeEntry) => {
        // No request can name such an environment, and no manifest is ever copied to one.
        if (invalidName('environment', entry.name)) return;
        const environmentPath = `${path}/${entry.name}`;
        if (entry.kind !== 'tree') throw new CorruptRepoError(environmentPath, notADirectory(entry.kind));
        const manifest = (await this.tree(entry.oid, environmentPath)).get('manifests.yaml');
        if (!manifest) return;
        if (manifest.kind !== 'file') {
          throw new CorruptRepoError(`${environmentPath}/manifests.yaml`, notAFile(manifest.kind));
        }
        manifests.set(entry.name, manifest.oid);
      }),
    );
    release.manifests = sortedMap(manifests);
  }

  private async readApplication(treeOid: string, path: string): Promise<Readable<Omit<Application, 'name'>>> {
    try {
      const tree = await this.tree(treeOid, path);
      const releasesEntry = tree.get('releases');
      if (releasesEntry && releasesEntry.kind !== 'tree') {
        return { ok: false, file: `${path}/releases`, reason: notADirectory(releasesEntry.kind) };
      }
      const [team, releasesTree] = await Promise.all([
        this.readTeam(tree.get('team'), `${path}/team`),
        releasesEntry ? this.tree(releasesEntry.oid, `${path}/releases`) : new Map<string, TreeEntry>(),
      ]);
      if (!team.ok) return team;
      const releases = new Map<number, Release>();
      let latestRelease: number | undefined;
      for (const entry of releasesTree.values()) {
        // Only a directory with a numeric name is a release; anything else is ignored (manifest-repo.md).
        const version = entry.kind === 'tree' ? parseReleaseNumber(entry.name) : undefined;
        if (version === undefined) continue;
        const releasePath = `${path}/releases/${entry.name}`;
        const release: LazyRelease = { version, treeOid: entry.oid, path: releasePath, manifests: undefined };
        releases.set(version, release);
        if (latestRelease === undefined || version > latestRelease) latestRelease = version;
      }
      return { ok: true, value: { team: team.value, releases, latestRelease } };
    } catch (error) {
      return unreadableTree(error);
    }
  }

  /** An app's team: "" without a team file, else a valid team name. */
  private async readTeam(entry: TreeEntry | undefined, file: string): Promise<Readable<string>> {
    if (!entry) return { ok: true, value: '' };
    if (entry.kind === 'tree' || entry.kind === 'submodule') {
      return { ok: false, file, reason: notAFile(entry.kind) };
    }
    const text = await this.metadataText(entry.oid);
    if (!text.ok) return { ok: false, file, reason: tooLarge(text.size, METADATA_MAX_BYTES) };
    const team = text.text.trim();
    const invalid = team === '' ? undefined : invalidName('team', team);
    return invalid ? { ok: false, file, reason: invalid } : { ok: true, value: team };
  }

  private async readEnvironment(treeOid: string, path: string): Promise<Readable<RawEnvironment>> {
    try {
      const tree = await this.tree(treeOid, path);
      // Checked first and in tree order, so that the first of several is the one named.
      for (const name of ['applications', 'teams']) {
        const entry = tree.get(name);
        if (entry && entry.kind !== 'tree') {
          return { ok: false, file: `${path}/${name}`, reason: notADirectory(entry.kind) };
        }
      }
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

  private async readConfig(entry: TreeEntry | undefined, file: string): Promise<Readable<EnvironmentConfig>> {
    if (!entry) return { ok: true, value: EMPTY_CONFIG };
    if (entry.kind !== 'file') return { ok: false, file, reason: notAFile(entry.kind) };
    const text = await this.metadataText(entry.oid);
    if (!text.ok) return { ok: false, file, reason: tooLarge(text.size, METADATA_MAX_BYTES) };
    return parseEnvironmentConfig(text.text, file);
  }

  /** Team locks by team; `teams` itself not being a directory makes the environment unreadable. */
  private async readTeamLocks(
    entry: TreeEntry | undefined,
    path: string,
    problems: Problem[],
  ): Promise<ReadonlyMap<string, Readable<LockMap>>> {
    const teams = new Map<string, Readable<LockMap>>();
    if (!entry) return teams;
    if (entry.kind !== 'tree') throw new UnreadableTreeError(path, notADirectory(entry.kind));
    const tree = await this.tree(entry.oid, path);
    await Promise.all(
      [...tree.values()].map(async (team) => {
        const teamPath = `${path}/${pathName(team.name)}`;
        const invalid = invalidName('team', team.name);
        if (invalid)
          return void problems.push({ file: teamPath, reason: invalid, hides: { kind: 'ignored' } });
        if (team.kind !== 'tree') {
          return void teams.set(team.name, { ok: false, file: teamPath, reason: notADirectory(team.kind) });
        }
        try {
          const locks = (await this.tree(team.oid, teamPath)).get('locks');
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
    if (entry.kind !== 'tree') throw new UnreadableTreeError(path, notADirectory(entry.kind));
    const tree = await this.tree(entry.oid, path);
    const missing: { app: TreeEntry; key: string; path: string }[] = [];
    for (const app of tree.values()) {
      const invalid = invalidName('application', app.name);
      if (invalid) {
        problems.push({ file: `${path}/${pathName(app.name)}`, reason: invalid, hides: { kind: 'ignored' } });
        continue;
      }
      const appPath = `${path}/${app.name}`;
      if (app.kind !== 'tree') {
        apps.set(app.name, unreadableApp({ ok: false, file: appPath, reason: notADirectory(app.kind) }));
        continue;
      }
      const key = `${appPath}\0${app.oid}`;
      const cached = this.appsInEnvironment.get(key);
      if (cached) apps.set(app.name, cached);
      else missing.push({ app, key, path: appPath });
    }
    const appTrees = await this.loader.loadMany(
      missing.map(({ app }) => ({ name: app.oid, maxBytes: TREE_MAX_BYTES })),
    );
    const links: { app: TreeEntry; key: string; path: string; tree: Tree }[] = [];
    const linkOids = new Set<string>();
    for (const [index, item] of missing.entries()) {
      try {
        const appTree = this.parseTreeObject(appTrees[index], item.app.oid, item.path);
        links.push({ ...item, tree: appTree });
        for (const name of ['version', 'queued_version']) {
          const link = appTree.get(name);
          if (link?.kind === 'symlink') linkOids.add(link.oid);
        }
      } catch (error) {
        apps.set(item.app.name, unreadableApp(unreadableTree(error)));
      }
    }
    // Environments share most symlink blobs (every environment at release 8 links to the same
    // target), so they are cached by id: at Kuberpult scale ~2,000 reads instead of ~32,000.
    const linkTexts = new Map<string, BlobText>();
    const texts: Promise<void>[] = [];
    const unread = [...linkOids].filter((oid) => {
      const cached = this.linkBlobs.get(oid);
      if (cached) texts.push(cached.then((text) => void linkTexts.set(oid, text)));
      return !cached;
    });
    if (unread.length > 0) {
      const read = this.loader.loadMany(unread.map((oid) => ({ name: oid, maxBytes: LINK_MAX_BYTES })));
      unread.forEach((oid, index) => {
        // In the cache before the read finishes, so that environments read meanwhile share it.
        const text = read.then((objects) => blobText(objects[index], oid));
        keepUnlessFailed(this.linkBlobs, oid, text);
        texts.push(text.then((value) => void linkTexts.set(oid, value)));
      });
    }
    await Promise.all(texts);
    await Promise.all(
      links.map(async ({ app, key, path: appPath, tree: appTree }) => {
        const raw = await this.rawAppInEnvironment(appTree, appPath, linkTexts);
        this.appsInEnvironment.set(key, raw);
        apps.set(app.name, raw);
      }),
    );
    return apps;
  }

  private async rawAppInEnvironment(
    tree: Tree,
    path: string,
    linkTexts: ReadonlyMap<string, BlobText>,
  ): Promise<RawAppInEnvironment> {
    const link = (name: string): VersionLink | Unreadable | undefined => {
      const entry = tree.get(name);
      if (!entry) return undefined;
      if (entry.kind !== 'symlink') return { mode: entry.mode, target: '' };
      const text = linkTexts.get(entry.oid);
      if (text?.ok === false) {
        return { ok: false, file: `${path}/${name}`, reason: linkTooLarge(text.size) };
      }
      return { mode: entry.mode, target: text?.text ?? '' };
    };
    const fileOid = (name: string) => {
      const entry = tree.get(name);
      return entry && (entry.kind === 'file' || entry.kind === 'symlink') ? entry.oid : undefined;
    };
    const locks = await this.readLocks(tree.get('locks'), `${path}/locks`);
    const deploymentRecord: { deployedBy?: string; deployedByEmail?: string; deployedAt?: string } = {};
    const deployedBy = fileOid('deployed_by');
    const deployedByEmail = fileOid('deployed_by_email');
    const deployedAt = fileOid('deployed_at_utc');
    if (deployedBy) deploymentRecord.deployedBy = deployedBy;
    if (deployedByEmail) deploymentRecord.deployedByEmail = deployedByEmail;
    if (deployedAt) deploymentRecord.deployedAt = deployedAt;
    return { version: link('version'), queued: link('queued_version'), locks, deploymentRecord };
  }

  /**
   * Lock directories under `path`. Anything that is not a lock directory with a valid id makes
   * them unreadable (a lock that is left out would let a train pass it); the entries are checked
   * first, then the lock files, each in tree order.
   */
  private async readLocks(entry: TreeEntry | undefined, path: string): Promise<Readable<LockMap>> {
    if (!entry) return { ok: true, value: new Map() };
    if (entry.kind !== 'tree') return { ok: false, file: path, reason: notADirectory(entry.kind) };
    try {
      const tree = await this.tree(entry.oid, path);
      for (const lock of tree.values()) {
        const lockPath = `${path}/${pathName(lock.name)}`;
        const invalid = invalidName('lock', lock.name);
        if (invalid) return { ok: false, file: lockPath, reason: invalid };
        if (lock.kind !== 'tree') return { ok: false, file: lockPath, reason: notADirectory(lock.kind) };
      }
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
    const tree = await this.tree(entry.oid, path);
    // Directories under a lock are ignored, like files it does not know.
    const fieldEntries = [...tree.values()].filter(
      (field) => Object.hasOwn(LOCK_FIELD_FILES, field.name) && field.kind !== 'tree',
    );
    const read = await Promise.all(
      fieldEntries.map(async (field): Promise<Readable<string>> => {
        const file = `${path}/${field.name}`;
        if (field.kind === 'submodule') return { ok: false, file, reason: notAFile(field.kind) };
        const text = await this.metadataText(field.oid);
        return text.ok
          ? { ok: true, value: text.text }
          : { ok: false, file, reason: tooLarge(text.size, METADATA_MAX_BYTES) };
      }),
    );
    const fields = new Map<string, string>();
    for (const [index, field] of fieldEntries.entries()) {
      const text = read[index] as Readable<string>;
      if (!text.ok) return text;
      fields.set(field.name, text.value);
    }
    const ciLink = fields.get('ci_link');
    const suggestedLifetime = fields.get('suggested_lifetime');
    return {
      ok: true,
      value: {
        lockId: entry.name,
        message: fields.get('message') ?? '',
        createdAt: (fields.get('created_at') ?? '').trim(),
        createdByName: fields.get('created_by_name') ?? '',
        createdByEmail: fields.get('created_by_email') ?? '',
        ...(ciLink ? { ciLink } : {}),
        ...(suggestedLifetime ? { suggestedLifetime } : {}),
      },
    };
  }

  private metadataText(oid: string): Promise<BlobText> {
    return cachedRead(this.metadataBlobs, oid, async () =>
      blobText(await this.loader.load(oid, METADATA_MAX_BYTES), oid),
    );
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
      if (entry.kind !== 'tree') throw new UnreadableTreeError(name, notADirectory(entry.kind));
      return await this.tree(entry.oid, name);
    } catch (error) {
      const unreadable = unreadableTree(error);
      problems.push({ file: unreadable.file, reason: unreadable.reason, hides: { kind: name } });
      return new Map();
    }
  }

  /** `path`: where the tree is in the repo, named when it is malformed. */
  private tree(oid: string, path: string): Promise<Tree> {
    return this.treeAt(oid, path);
  }

  private async treeAt(name: string, path: string): Promise<Tree> {
    return this.parseTreeObject(await this.loader.load(name, TREE_MAX_BYTES), name, path);
  }

  private parseTreeObject(object: ObjectRead | undefined, name: string, path: string): Tree {
    // A missing object is git's own corruption (or a repository changing under us): an I/O error.
    if (!object) throw new Error(`git object ${name} is missing`);
    if (object.type !== 'tree')
      throw new UnreadableTreeError(path, `must be a git tree, not a ${object.type}`);
    if (object.oversized) {
      throw new UnreadableTreeError(
        path,
        `git tree of ${object.size} bytes, more than the ${TREE_MAX_BYTES} bytes a tree may have`,
      );
    }
    return parseTree(object.content, this.hashBytes, path);
  }
}

/** The Unreadable value of a tree that could not be read; anything else (I/O) is thrown on. */
function unreadableTree(error: unknown): Unreadable {
  if (error instanceof UnreadableTreeError) return { ok: false, file: error.file, reason: error.reason };
  throw error;
}

function blobText(object: ObjectRead | undefined, oid: string): BlobText {
  if (!object) throw new Error(`git object ${oid} is missing`);
  return object.oversized
    ? { ok: false, size: object.size }
    : { ok: true, text: object.content.toString('utf8') };
}

/** An app entry in an environment that cannot be read: everything an operation would need of it fails. */
function unreadableApp(unreadable: Unreadable): RawAppInEnvironment {
  return { version: unreadable, queued: unreadable, locks: unreadable, deploymentRecord: {} };
}

/** An app's state as the reader would have parsed it; undefined when part of it is unreadable. */
function rawAppInEnvironment(app: string, state: AppInEnvironment): RawAppInEnvironment | undefined {
  const { deployedVersion, queuedVersion, locks } = state;
  if (!deployedVersion.ok || !queuedVersion.ok || !locks.ok) return undefined;
  const link = (version: number | undefined): VersionLink | undefined =>
    version === undefined ? undefined : { mode: SYMLINK_MODE, target: releaseLink(app, version) };
  return {
    version: link(deployedVersion.value),
    queued: link(queuedVersion.value),
    locks,
    deploymentRecord: state.deploymentRecord,
  };
}

function assembleEnvironment(
  name: string,
  raw: RawEnvironment,
  applications: ReadonlyMap<string, Application>,
): Environment {
  const apps = new Map<string, AppInEnvironment>();
  const check = (link: VersionLink | Unreadable | undefined, file: string, app: string) =>
    link !== undefined && 'ok' in link ? link : checkVersionLink(link, file, app, applications);
  for (const [app, state] of raw.applications) {
    const path = `environments/${name}/applications/${app}`;
    apps.set(app, {
      deployedVersion: check(state.version, `${path}/version`, app),
      queuedVersion: check(state.queued, `${path}/queued_version`, app),
      locks: state.locks,
      deploymentRecord: state.deploymentRecord,
    });
  }
  return {
    name,
    config: raw.config,
    locks: raw.locks,
    teamLocks: raw.teamLocks,
    applications: sortedMap(apps),
  };
}

function sortedMap<V>(map: Map<string, V>): Map<string, V> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
