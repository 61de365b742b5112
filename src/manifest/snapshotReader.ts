// Reads snapshots by walking git trees through the long-lived cat-file process, and keeps what
// it parsed keyed by tree id. Trees are content-addressed: a subtree with the same id is the same
// data, so the next commit re-reads only the subtrees that changed (an outside commit that
// touches a few files costs a few tree reads, not a walk of the whole repo).
// Release manifests are read lazily, only for the releases a request needs.

import type { UnsureParts } from '../planning/applyChanges.js';
import { releaseLink } from '../planning/changes.js';
import {
  checkVersionLink,
  LOCK_FIELD_FILES,
  parseEnvironmentConfig,
  SYMLINK_MODE,
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
  Readable,
  Release,
  Snapshot,
} from '../planning/model.js';
import { parseReleaseNumber } from '../schemas/names.js';
import type { CatFileBatch, GitObject } from './catFileBatch.js';

const TREE_MODE = '40000';

interface TreeEntry {
  readonly mode: string;
  readonly name: string;
  readonly oid: string;
}

type Tree = ReadonlyMap<string, TreeEntry>;

/** An app's directory in an environment, before its symlinks are checked against the releases. */
interface RawAppInEnvironment {
  readonly version: VersionLink | undefined;
  readonly queued: VersionLink | undefined;
  readonly locks: Readable<LockMap>;
  readonly deploymentRecord: DeploymentRecordBlobs;
}

interface RawEnvironment {
  readonly config: Readable<EnvironmentConfig>;
  readonly locks: Readable<LockMap>;
  readonly teamLocks: ReadonlyMap<string, Readable<LockMap>>;
  readonly applications: ReadonlyMap<string, RawAppInEnvironment>;
}

/** A release whose manifests are filled in when a request needs them. */
interface LazyRelease extends Release {
  manifests: ReadonlyMap<string, string> | undefined;
  readonly treeOid: string;
}

/** Values by object id, kept while the snapshots that use them are recent. */
class GenerationalCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  get(oid: string): V | undefined {
    const value = this.current.get(oid) ?? this.previous.get(oid);
    if (value !== undefined) this.current.set(oid, value);
    return value;
  }

  set(oid: string, value: V): void {
    this.current.set(oid, value);
  }

  /** Called once per snapshot read: what the last two reads did not use is let go. */
  nextGeneration(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/** Coalesces the object reads of one tick into one cat-file round trip. */
class ObjectLoader {
  private queue: {
    name: string;
    resolve: (object: GitObject | undefined) => void;
    reject: (e: Error) => void;
  }[] = [];

  /** How many objects were read, for tests and benchmarks that check reads stay incremental. */
  objectsRead = 0;

  constructor(private readonly objects: CatFileBatch) {}

  load(name: string): Promise<GitObject | undefined> {
    this.objectsRead++;
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ name, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.objects.readMany(batch.map((item) => item.name)).then(
      (objects) => {
        batch.forEach((item, index) => {
          item.resolve(objects[index]);
        });
      },
      (error: Error) => {
        for (const item of batch) item.reject(error);
      },
    );
  }
}

export class SnapshotReader {
  readonly loader: ObjectLoader;
  private readonly hashBytes: number;
  private readonly environments = new GenerationalCache<Promise<RawEnvironment>>();
  private readonly appsInEnvironment = new GenerationalCache<Promise<RawAppInEnvironment>>();
  private readonly applications = new GenerationalCache<Promise<Omit<Application, 'name'>>>();
  private readonly blobs = new GenerationalCache<Promise<string>>();

  constructor(
    private readonly objects: CatFileBatch,
    objectFormat: 'sha1' | 'sha256' = 'sha1',
  ) {
    this.loader = new ObjectLoader(objects);
    this.hashBytes = objectFormat === 'sha256' ? 32 : 20;
  }

  /** The snapshot of a commit (null: an unborn branch, the empty snapshot). */
  async read(commitId: string | null): Promise<Snapshot> {
    for (const cache of [this.environments, this.appsInEnvironment, this.applications, this.blobs]) {
      cache.nextGeneration();
    }
    if (commitId === null) return { commitId, environments: new Map(), applications: new Map() };
    const root = await this.treeAt(`${commitId}^{tree}`);
    const [environmentsTree, applicationsTree] = await Promise.all([
      this.subtree(root, 'environments'),
      this.subtree(root, 'applications'),
    ]);
    const applications = new Map<string, Application>();
    await Promise.all(
      [...directories(applicationsTree)].map(async (entry) => {
        const application = await this.cached(this.applications, entry.oid, () =>
          this.readApplication(entry.oid),
        );
        applications.set(entry.name, { name: entry.name, ...application });
      }),
    );
    const environments = new Map<string, Environment>();
    await Promise.all(
      [...directories(environmentsTree)].map(async (entry) => {
        const path = `environments/${entry.name}`;
        const raw = await this.cached(this.environments, entry.oid, () =>
          this.readEnvironment(entry.oid, path),
        );
        environments.set(entry.name, assembleEnvironment(entry.name, raw, applications));
      }),
    );
    return {
      commitId,
      environments: sortedMap(environments),
      applications: sortedMap(applications),
    };
  }

  /**
   * Takes a snapshot that was derived from our own commit (not read) as what its subtrees hold,
   * so that the next read of a later commit re-reads only what changed after it. Reads the few
   * trees that name the changed subtrees; parts with unreadable data are left to be read.
   * The parts the derivation was unsure of are read from the commit instead: then the answer is a
   * read of the commit that costs only those parts, the rest being what was adopted.
   */
  async adopt(derived: Snapshot, unsure: UnsureParts | null = null): Promise<Snapshot> {
    if (derived.commitId === null) return derived;
    const root = await this.treeAt(`${derived.commitId}^{tree}`);
    const [environmentsTree, applicationsTree] = await Promise.all([
      this.subtree(root, 'environments'),
      unsure ? this.subtree(root, 'applications') : new Map<string, TreeEntry>(),
    ]);
    await Promise.all(
      [...directories(environmentsTree)].map(async (entry) => {
        const environment = derived.environments.get(entry.name);
        if (!environment || this.environments.get(entry.oid)) return;
        const unsureApps = unsure?.appsInEnvironments.get(entry.name);
        const applicationsEntry = (await this.tree(entry.oid)).get('applications');
        const applicationsTree =
          applicationsEntry?.mode === TREE_MODE
            ? await this.tree(applicationsEntry.oid)
            : new Map<string, TreeEntry>();
        const applications = new Map<string, RawAppInEnvironment>();
        for (const app of directories(applicationsTree)) {
          const state = environment.applications.get(app.name);
          const raw = state && !unsureApps?.has(app.name) ? rawAppInEnvironment(app.name, state) : undefined;
          if (!raw) continue;
          applications.set(app.name, raw);
          if (!this.appsInEnvironment.get(app.oid)) this.appsInEnvironment.set(app.oid, Promise.resolve(raw));
        }
        const { config, locks, teamLocks } = environment;
        const readable = config.ok && locks.ok && [...teamLocks.values()].every((team) => team.ok);
        // Every app of the environment taken, and only those git has: the environment is as derived.
        const complete =
          applications.size === environment.applications.size &&
          applications.size === countDirectories(applicationsTree);
        if (readable && complete && !unsure?.environments.has(entry.name)) {
          this.environments.set(entry.oid, Promise.resolve({ config, locks, teamLocks, applications }));
        }
      }),
    );
    if (!unsure) return derived;
    for (const entry of directories(applicationsTree)) {
      const application = derived.applications.get(entry.name);
      if (!application || unsure.applications.has(entry.name) || this.applications.get(entry.oid)) continue;
      const { team, releases, latestRelease } = application;
      this.applications.set(entry.oid, Promise.resolve({ team, releases, latestRelease }));
    }
    return this.read(derived.commitId);
  }

  /** Reads the manifests of the given releases, where not read yet. */
  async loadReleases(snapshot: Snapshot, wanted: Iterable<{ app: string; version: number }>): Promise<void> {
    const loads = new Map<LazyRelease, Promise<void>>();
    for (const { app, version } of wanted) {
      const release = snapshot.applications.get(app)?.releases.get(version) as LazyRelease | undefined;
      if (release && release.manifests === undefined && !loads.has(release))
        loads.set(release, this.loadRelease(release));
    }
    await Promise.all(loads.values());
  }

  /** Reads the manifests of every release of the snapshot (a full read, for tests and tools). */
  async loadAllReleases(snapshot: Snapshot): Promise<void> {
    const all = [...snapshot.applications.values()].flatMap((application) =>
      [...application.releases.keys()].map((version) => ({ app: application.name, version })),
    );
    await this.loadReleases(snapshot, all);
  }

  private async loadRelease(release: LazyRelease): Promise<void> {
    const environmentsTree = await this.subtree(await this.tree(release.treeOid), 'environments');
    const manifests = new Map<string, string>();
    await Promise.all(
      [...directories(environmentsTree)].map(async (entry) => {
        const manifest = (await this.tree(entry.oid)).get('manifests.yaml');
        if (manifest && manifest.mode !== TREE_MODE) manifests.set(entry.name, manifest.oid);
      }),
    );
    release.manifests = sortedMap(manifests);
  }

  private async readApplication(treeOid: string): Promise<Omit<Application, 'name'>> {
    const tree = await this.tree(treeOid);
    const teamEntry = tree.get('team');
    const [team, releasesTree] = await Promise.all([
      teamEntry && teamEntry.mode !== TREE_MODE ? this.blob(teamEntry.oid) : Promise.resolve(''),
      this.subtree(tree, 'releases'),
    ]);
    const releases = new Map<number, Release>();
    let latestRelease: number | undefined;
    for (const entry of directories(releasesTree)) {
      const version = parseReleaseNumber(entry.name);
      if (version === undefined) continue;
      const release: LazyRelease = { version, treeOid: entry.oid, manifests: undefined };
      releases.set(version, release);
      if (latestRelease === undefined || version > latestRelease) latestRelease = version;
    }
    return { team: team.trim(), releases, latestRelease };
  }

  private async readEnvironment(treeOid: string, path: string): Promise<RawEnvironment> {
    const tree = await this.tree(treeOid);
    const configEntry = tree.get('config.json');
    const [config, locks, teamLocks, applications] = await Promise.all([
      this.readConfig(configEntry, `${path}/config.json`),
      this.readLocks(tree.get('locks'), `${path}/locks`),
      this.readTeamLocks(tree.get('teams'), `${path}/teams`),
      this.readAppsInEnvironment(tree.get('applications'), `${path}/applications`),
    ]);
    return { config, locks, teamLocks, applications };
  }

  private async readConfig(entry: TreeEntry | undefined, file: string): Promise<Readable<EnvironmentConfig>> {
    if (!entry) return { ok: true, value: { upstream: null, environmentGroup: undefined, raw: {} } };
    if (entry.mode === SYMLINK_MODE || entry.mode === TREE_MODE) {
      return { ok: false, file, reason: 'must be a file' };
    }
    return parseEnvironmentConfig(await this.blob(entry.oid), file);
  }

  private async readTeamLocks(
    entry: TreeEntry | undefined,
    path: string,
  ): Promise<ReadonlyMap<string, Readable<LockMap>>> {
    const teams = new Map<string, Readable<LockMap>>();
    if (!entry || entry.mode !== TREE_MODE) return teams;
    const tree = await this.tree(entry.oid);
    await Promise.all(
      [...directories(tree)].map(async (team) => {
        const teamTree = await this.tree(team.oid);
        const locks = teamTree.get('locks');
        if (locks) teams.set(team.name, await this.readLocks(locks, `${path}/${team.name}/locks`));
      }),
    );
    return teams;
  }

  /**
   * The apps of one environment, in two batched round trips (their trees, then their version
   * symlinks) rather than a promise chain per app: this is most of a cold read.
   */
  private async readAppsInEnvironment(
    entry: TreeEntry | undefined,
    path: string,
  ): Promise<ReadonlyMap<string, RawAppInEnvironment>> {
    const apps = new Map<string, RawAppInEnvironment>();
    if (!entry || entry.mode !== TREE_MODE) return apps;
    const tree = await this.tree(entry.oid);
    const cachedApps: Promise<void>[] = [];
    const missing: TreeEntry[] = [];
    for (const app of directories(tree)) {
      const cached = this.appsInEnvironment.get(app.oid);
      if (cached) {
        cachedApps.push(
          cached.then((raw) => {
            apps.set(app.name, raw);
          }),
        );
      } else missing.push(app);
    }
    const appTrees = await this.readObjects(missing.map((app) => app.oid));
    const links: { app: TreeEntry; tree: Tree }[] = [];
    const linkBlobs = new Set<string>();
    for (const [index, app] of missing.entries()) {
      const object = appTrees[index];
      if (object?.type !== 'tree') throw new Error(`git tree ${app.oid} is missing`);
      const appTree = parseTree(object.content, this.hashBytes);
      links.push({ app, tree: appTree });
      for (const name of ['version', 'queued_version']) {
        const link = appTree.get(name);
        if (link && link.mode !== TREE_MODE) linkBlobs.add(link.oid);
      }
    }
    // Environments share most symlink blobs (every environment at release 8 links to the same
    // target), so they are cached by id: at Kuberpult scale ~2,000 reads instead of ~32,000.
    const blobTexts = new Map<string, string>();
    const texts: Promise<void>[] = [];
    const unread = [...linkBlobs].filter((oid) => {
      const cached = this.blobs.get(oid);
      if (cached) texts.push(cached.then((text) => void blobTexts.set(oid, text)));
      return !cached;
    });
    if (unread.length > 0) {
      const read = this.readObjects(unread);
      unread.forEach((oid, index) => {
        // In the cache before the read finishes, so that environments read meanwhile share it.
        const text = read.then((objects) => objects[index]?.content.toString('utf8') ?? '');
        this.blobs.set(oid, text);
        texts.push(text.then((value) => void blobTexts.set(oid, value)));
      });
    }
    await Promise.all(texts);
    await Promise.all([
      ...cachedApps,
      ...links.map(async ({ app, tree: appTree }) => {
        const raw = this.rawAppInEnvironment(appTree, `${path}/${app.name}`, blobTexts);
        this.appsInEnvironment.set(app.oid, raw);
        apps.set(app.name, await raw);
      }),
    ]);
    return apps;
  }

  private async rawAppInEnvironment(
    tree: Tree,
    path: string,
    blobTexts: ReadonlyMap<string, string>,
  ): Promise<RawAppInEnvironment> {
    const link = (name: string): VersionLink | undefined => {
      const entry = tree.get(name);
      if (!entry) return undefined;
      return { mode: entry.mode, target: entry.mode === TREE_MODE ? '' : (blobTexts.get(entry.oid) ?? '') };
    };
    const fileOid = (name: string) => {
      const entry = tree.get(name);
      return entry && entry.mode !== TREE_MODE ? entry.oid : undefined;
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

  /** Many objects in one round trip, counted like the ones read one by one. */
  private readObjects(oids: readonly string[]): Promise<(GitObject | undefined)[]> {
    this.loader.objectsRead += oids.length;
    return this.objects.readMany(oids);
  }

  /** Lock directories under `path`; a file where a directory belongs makes them unreadable. */
  private async readLocks(entry: TreeEntry | undefined, path: string): Promise<Readable<LockMap>> {
    if (!entry) return { ok: true, value: new Map() };
    if (entry.mode !== TREE_MODE) {
      return { ok: false, file: path, reason: 'a file where the locks directory belongs' };
    }
    const tree = await this.tree(entry.oid);
    for (const lock of tree.values()) {
      if (lock.mode !== TREE_MODE) {
        return { ok: false, file: `${path}/${lock.name}`, reason: 'a file where a lock directory belongs' };
      }
    }
    const locks = new Map<string, Lock>();
    await Promise.all(
      [...tree.values()].map(async (lock) => {
        locks.set(lock.name, await this.readLock(lock));
      }),
    );
    return { ok: true, value: sortedMap(locks) };
  }

  private async readLock(entry: TreeEntry): Promise<Lock> {
    const tree = await this.tree(entry.oid);
    const fields = new Map<string, string>();
    await Promise.all(
      [...tree.values()]
        .filter((field) => Object.hasOwn(LOCK_FIELD_FILES, field.name) && field.mode !== TREE_MODE)
        .map(async (field) => {
          fields.set(field.name, await this.blob(field.oid));
        }),
    );
    const ciLink = fields.get('ci_link');
    const suggestedLifetime = fields.get('suggested_lifetime');
    return {
      lockId: entry.name,
      message: fields.get('message') ?? '',
      createdAt: (fields.get('created_at') ?? '').trim(),
      createdByName: fields.get('created_by_name') ?? '',
      createdByEmail: fields.get('created_by_email') ?? '',
      ...(ciLink ? { ciLink } : {}),
      ...(suggestedLifetime ? { suggestedLifetime } : {}),
    };
  }

  private cached<V>(cache: GenerationalCache<Promise<V>>, oid: string, read: () => Promise<V>): Promise<V> {
    let value = cache.get(oid);
    if (value === undefined) {
      value = read();
      cache.set(oid, value);
    }
    return value;
  }

  private blob(oid: string): Promise<string> {
    return this.cached(this.blobs, oid, async () => {
      const object = await this.loader.load(oid);
      return object ? object.content.toString('utf8') : '';
    });
  }

  private async subtree(tree: Tree, name: string): Promise<Tree> {
    const entry = tree.get(name);
    return entry && entry.mode === TREE_MODE ? this.tree(entry.oid) : new Map();
  }

  private async tree(oid: string): Promise<Tree> {
    return this.treeAt(oid);
  }

  private async treeAt(name: string): Promise<Tree> {
    const object = await this.loader.load(name);
    if (!object) throw new Error(`git object ${name} is missing`);
    if (object.type !== 'tree') throw new Error(`git object ${name} is a ${object.type}, not a tree`);
    return parseTree(object.content, this.hashBytes);
  }
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

function countDirectories(tree: Tree): number {
  let count = 0;
  for (const _ of directories(tree)) count++;
  return count;
}

/** The binary tree format: `<mode> <name>\0<hash>` per entry. */
function parseTree(content: Buffer, hashBytes: number): Tree {
  const entries = new Map<string, TreeEntry>();
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    const nul = content.indexOf(0, space);
    const mode = content.toString('latin1', offset, space);
    const name = content.toString('utf8', space + 1, nul);
    const oid = content.toString('hex', nul + 1, nul + 1 + hashBytes);
    entries.set(name, { mode, name, oid });
    offset = nul + 1 + hashBytes;
  }
  return entries;
}

function* directories(tree: Tree): Iterable<TreeEntry> {
  for (const entry of tree.values()) if (entry.mode === TREE_MODE) yield entry;
}

function assembleEnvironment(
  name: string,
  raw: RawEnvironment,
  applications: ReadonlyMap<string, Application>,
): Environment {
  const apps = new Map<string, AppInEnvironment>();
  for (const [app, state] of raw.applications) {
    const path = `environments/${name}/applications/${app}`;
    apps.set(app, {
      deployedVersion: checkVersionLink(state.version, `${path}/version`, app, applications),
      queuedVersion: checkVersionLink(state.queued, `${path}/queued_version`, app, applications),
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
