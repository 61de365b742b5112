// The git adapter of one manifest repository: the branch tip, snapshots, and writing a commit.
// Built by a factory, one per repository; nothing module-level.
import { mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptRepoError } from '../domain/errors.js';
import type { DerivedSnapshot } from '../planning/applyChanges.js';
import { METADATA_MAX_BYTES, tooLarge } from '../planning/layout.js';
import type { Snapshot } from '../planning/model.js';
import { gitBlobId } from './blobId.js';
import { CatFileBatch, type ObjectRead } from './catFileBatch.js';
import { readDeployedManifests } from './deployedManifests.js';
import {
  GitCommandError,
  type GitIdentity,
  gitOutput,
  type ObjectFormat,
  readObjectFormat,
  runGit,
  SERVICE_IDENTITY,
  type Warn,
} from './git.js';
import { type LogEntry, type LogOptions, readLog } from './gitLog.js';
import type { Remote } from './remote.js';
import { SnapshotReader } from './snapshotReader.js';
import {
  checkLockFiles,
  gitDirOf,
  refLockFiles,
  removeStaleGitFiles,
  STALE_LOCK_AGE_MS,
} from './staleFiles.js';
import {
  type CommitContent,
  conflictingTag,
  createCommits,
  deleteScratchRef,
  moveRefs,
  type TreeChange,
  type TreeIdsOf,
  writeChain,
} from './writeCommit.js';

const SNAPSHOTS_KEPT = 3;
/** Commit ids known to be commits (read by rev-parse, or written here): a branch file naming one needs no rev-parse. */
const KNOWN_COMMITS_KEPT = 64;

export interface ManifestRepositoryOptions {
  readonly path: string;
  readonly branch: string;
  readonly committer?: GitIdentity;
  /** The git server this repository is a clone of: every write is pushed there before it counts. */
  readonly remote?: Remote;
  /** Told what went wrong without failing a request (a scratch ref left, a stale lock removed). */
  readonly warn?: Warn;
}

/** A metadata file's text, or its size when it is larger than a metadata file may be. */
export type MetadataText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly size: number };

export interface CommitChanges {
  readonly parent: string | null;
  readonly changes: readonly TreeChange[];
  readonly message: string;
  readonly author: GitIdentity;
  readonly time: Date;
  /** A tag to create on the commit, together with the branch move (both or neither). */
  readonly tag?: string;
  /**
   * With a remote: told, instead of a throw, when the remote took the commit but the clone's refs
   * could not follow it (the commit counts; the next fetch brings the clone along).
   */
  readonly onClonesRefsBehind?: (error: unknown) => void;
}

/** Commits one after another on `parent` (see ManifestWriter's batches), all or none on the branch. */
export interface ChainChanges {
  readonly parent: string | null;
  readonly commits: readonly CommitContent[];
  readonly time: Date;
  /** A tag to create on the last commit, together with the branch move (both or neither). */
  readonly tag?: string;
  /** As CommitChanges.onClonesRefsBehind. */
  readonly onClonesRefsBehind?: (error: unknown) => void;
}

export type { CommitContent };

/**
 * What services read: the branch tip, snapshots of commits (release manifests read on demand),
 * tags, files and history. Nothing here writes.
 */
export interface RepositoryReader {
  /** The commit id the branch points to now, or null when it has no commit yet. */
  readTip(): Promise<string | null>;
  snapshot(commitId: string | null): Promise<Snapshot>;
  readTipSnapshot(): Promise<Snapshot>;
  /** Reads the manifests of these releases into the snapshot, where not read yet. */
  loadReleases(snapshot: Snapshot, releases: Iterable<{ app: string; version: number }>): Promise<void>;
  /** Reads whether these releases are undeploy versions (without their manifests), where not known yet. */
  loadUndeployMarkers(
    snapshot: Snapshot,
    releases: Iterable<{ app: string; version: number }>,
  ): Promise<void>;
  /** Resolves a tag to its commit; undefined when there is no such tag. */
  resolveTag(tag: string): Promise<string | undefined>;
  /** An existing tag that a new tag of this name would collide with (the same, or a path clash). */
  conflictingTag(tag: string): Promise<string | undefined>;
  /** The text of one metadata file at a commit; undefined when there is no such file. */
  readTextAt(commitId: string, path: string): Promise<string | undefined>;
  /** The objects at these paths of a commit, in one round trip; missing paths are left out. */
  readPathsAt(commitId: string, paths: readonly string[]): Promise<Map<string, ObjectRead>>;
  /** The text of metadata blobs by id (or their size, when too large); missing ones are left out. */
  readMetadataTexts(oids: Iterable<string>): Promise<Map<string, MetadataText>>;
  /** The text of blobs by id, each at most `maxBytes` (else its size); missing ones are left out. */
  readBlobTexts(oids: Iterable<string>, maxBytes: number): Promise<Map<string, MetadataText>>;
  /**
   * The deployed manifest of each app directory (`environments/<env>/applications/<app>`) at a
   * commit, each at most `maxBytes` (else its size); apps without one are left out.
   */
  readDeployedManifests(
    commitId: string,
    directories: readonly string[],
    maxBytes: number,
  ): Promise<Map<string, MetadataText>>;
  /** The branch's commits that touch `paths`, newest first; none on an empty branch. */
  log(options: LogOptions): Promise<LogEntry[]>;
}

/** The state /readyz judges: whether the repo can be read and written, and how fresh the clone is. */
export interface RepositoryHealth {
  /** Why the tip cannot be read through the reader every request uses; undefined when it can. */
  readProblem(): Promise<string | undefined>;
  /** A lock file that stops writes of the branch now, as a message naming it; undefined when none. */
  refLockProblem(): Promise<string | undefined>;
  /** With a remote: where it is, and how long ago the last successful fetch started. */
  readonly remote: { readonly displayUrl: string; fetchAge(): number | undefined } | undefined;
}

/**
 * What the writer (services/manifestWriter.ts) needs: the remote brought up to date, the tip to
 * plan on, one commit with a compare-and-swap on it, and the snapshot kept after it.
 */
export interface RepositoryWriter {
  /** Brings the branch and tags up to date with the remote, where there is one. */
  sync(): Promise<void>;
  readTipSnapshot(): Promise<Snapshot>;
  objectFormat(): Promise<ObjectFormat>;
  emptyBlobId(): Promise<string>;
  /**
   * A chain of commits on the branch, moved once to the last (pushed once, with a remote); per
   * commit its id, or null when it changes nothing (left out). See ManifestRepository.commitChain.
   */
  commitChain(request: ChainChanges): Promise<readonly (string | null)[]>;
  /** Keeps the snapshot derived from our own commit, so the next request needs no read. */
  remember(derived: DerivedSnapshot): Promise<void>;
  /** Lets go of every kept snapshot: the next request reads from git. */
  forget(): void;
  /** Git maintenance between writes (auto-gc is off). */
  maintain(): Promise<void>;
}

export class ManifestRepository implements RepositoryReader, RepositoryHealth, RepositoryWriter {
  readonly path: string;
  readonly branch: string;
  readonly ref: string;
  readonly committer: GitIdentity;
  readonly remote: Remote | undefined;
  private readonly warn: Warn;
  private readonly objects: CatFileBatch;
  /** The last snapshots read, by commit id (the tip, and the source of a tagged train). */
  private readonly snapshots = new Map<string | null, Snapshot>();
  /** Reads under way, by commit id: concurrent requests for the same commit share one. */
  private readonly reading = new Map<string | null, Promise<Snapshot>>();
  private reader: Promise<SnapshotReader> | undefined;
  private format: ObjectFormat | undefined;
  private gitDir: Promise<string> | undefined;
  /** See KNOWN_COMMITS_KEPT; insertion order is age. */
  private readonly knownCommits = new Set<string>();

  constructor(options: ManifestRepositoryOptions) {
    this.path = options.path;
    this.branch = options.branch;
    this.ref = `refs/heads/${options.branch}`;
    this.committer = options.committer ?? SERVICE_IDENTITY;
    this.remote = options.remote;
    this.warn = options.warn ?? (() => {});
    this.objects = new CatFileBatch(options.path);
  }

  /** Objects read from git so far (reads stay incremental: see the tests). */
  get objectsRead(): number {
    return this.objects.objectsRead;
  }

  /** One reader for the repository, also when the first requests come at once. */
  private snapshotReader(): Promise<SnapshotReader> {
    if (!this.reader) {
      const created = this.objectFormat().then((format) => new SnapshotReader(this.objects, format));
      this.reader = created;
      created.catch(() => {
        if (this.reader === created) this.reader = undefined;
      });
    }
    return this.reader;
  }

  /**
   * Makes sure a repository exists at the path: creates a bare one when the path is missing or
   * an empty directory (`created`). An existing one is cleaned of what killed processes left
   * (`removedStaleFiles`, see staleFiles.ts).
   */
  async open(): Promise<{ created: boolean; removedStaleFiles: readonly string[] }> {
    const existing = await stat(this.path).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new Error(`${this.path} is not a directory`);
    if (!existing || (await readdir(this.path)).length === 0) {
      await mkdir(this.path, { recursive: true });
      await gitOutput(this.path, ['init', '--quiet', '--bare', `--initial-branch=${this.branch}`]);
      await gitOutput(this.path, ['config', 'gc.auto', '0']);
      return { created: true, removedStaleFiles: [] };
    }
    // rev-parse walks up to an enclosing repository; the path must be the repository itself.
    const found = await runGit(this.path, ['rev-parse', '--is-bare-repository', '--absolute-git-dir']);
    const [bare, gitDir] = found.stdout.toString('utf8').trim().split('\n');
    const root =
      bare === 'true'
        ? gitDir
        : (await runGit(this.path, ['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
    if (found.code !== 0 || !root || (await realpath(root)) !== (await realpath(this.path))) {
      throw new Error(`${this.path} exists but is not a git repository`);
    }
    return { created: false, removedStaleFiles: await removeStaleGitFiles(this.path) };
  }

  /** The commit id the branch points to now, or null when it has no commit yet. */
  async readTip(): Promise<string | null> {
    // The branch's file (or its line in packed-refs), read as git reads it, costs no process: when
    // it names a commit this process knows, that is the tip. Anything else (a commit not seen yet,
    // a symbolic ref, a layout this does not know) is git's to resolve and check: a fresh process,
    // since a long-lived one caches packed-refs by file stats and can miss a repack within the same
    // second.
    const named = await this.branchFromFiles();
    if (named !== undefined && this.knownCommits.has(named)) return named;
    const tip = await this.resolveCommit(this.ref);
    if (tip !== null && tip === named) this.knowCommits([tip]);
    return tip;
  }

  /** The object id the branch's ref file (or else packed-refs) names; undefined when unsure. */
  private async branchFromFiles(): Promise<string | undefined> {
    this.gitDir ??= gitDirOf(this.path);
    const gitDir = await this.gitDir.catch(() => undefined);
    if (gitDir === undefined) return undefined;
    const objectId = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
    const loose = await readFile(join(gitDir, this.ref), 'latin1').catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? null : undefined,
    );
    if (loose === undefined) return undefined;
    if (loose !== null) {
      const id = loose.trim();
      return objectId.test(id) ? id : undefined;
    }
    const packed = await readFile(join(gitDir, 'packed-refs'), 'latin1').catch(() => undefined);
    if (packed === undefined) return undefined;
    const suffix = ` ${this.ref}`;
    for (const line of packed.split('\n')) {
      if (!line.endsWith(suffix)) continue;
      const id = line.slice(0, -suffix.length);
      return objectId.test(id) ? id : undefined;
    }
    return undefined;
  }

  private knowCommits(commitIds: Iterable<string | null>): void {
    for (const id of commitIds) {
      if (id === null) continue;
      this.knownCommits.delete(id);
      this.knownCommits.add(id);
    }
    for (const id of this.knownCommits) {
      if (this.knownCommits.size <= KNOWN_COMMITS_KEPT) break;
      this.knownCommits.delete(id);
    }
  }

  /** The snapshot of a commit; a few recent ones are kept, since most requests ask for the tip again. */
  async snapshot(commitId: string | null): Promise<Snapshot> {
    const cached = this.snapshots.get(commitId);
    if (cached) {
      this.keep(cached); // most recently used last
      return cached;
    }
    let read = this.reading.get(commitId);
    if (!read) {
      const started = this.snapshotReader().then((reader) => reader.read(commitId));
      read = started;
      this.reading.set(commitId, started);
      const done = () => {
        if (this.reading.get(commitId) === started) this.reading.delete(commitId);
      };
      started.then((snapshot) => {
        done();
        this.keep(snapshot);
      }, done);
    }
    return read;
  }

  private keep(snapshot: Snapshot): void {
    this.snapshots.delete(snapshot.commitId);
    this.snapshots.set(snapshot.commitId, snapshot);
    if (this.snapshots.size > SNAPSHOTS_KEPT) {
      this.snapshots.delete(this.snapshots.keys().next().value as string | null);
    }
  }

  /**
   * Keeps a snapshot made without reading (derived from a commit of our own); the parts the
   * derivation was unsure of are read from the commit first.
   */
  async remember({ snapshot, unsure }: DerivedSnapshot): Promise<void> {
    // The reader learns the new subtrees too, so a later outside commit costs only its own change.
    this.keep(await (await this.snapshotReader()).adopt(snapshot, unsure));
  }

  /** Lets go of every kept snapshot and parsed subtree: the next request reads from git. */
  forget(): void {
    this.snapshots.clear();
    this.reading.clear();
    this.reader = undefined;
  }

  /** sha1 or sha256, as git says it; asked once (a repository never changes its format). */
  async objectFormat(): Promise<ObjectFormat> {
    this.format ??= await readObjectFormat(this.path);
    return this.format;
  }

  /** Reads the manifests of these releases into the snapshot, where not read yet. */
  async loadReleases(
    snapshot: Snapshot,
    releases: Iterable<{ app: string; version: number }>,
  ): Promise<void> {
    await (await this.snapshotReader()).loadReleases(snapshot, releases);
  }

  /** Reads whether these releases are undeploy versions, where not known yet. */
  async loadUndeployMarkers(
    snapshot: Snapshot,
    releases: Iterable<{ app: string; version: number }>,
  ): Promise<void> {
    await (await this.snapshotReader()).loadUndeployMarkers(snapshot, releases);
  }

  async readTipSnapshot(): Promise<Snapshot> {
    return this.snapshot(await this.readTip());
  }

  /** Brings the branch and tags up to date with the remote, where there is one. */
  async sync(): Promise<void> {
    await this.remote?.fetch();
  }

  /**
   * Writes one commit on the branch (and pushes it, with a remote); null when the changes change
   * nothing (no commit). RefConflictError when the branch is no longer at `parent`, here or on the
   * remote; TAG_EXISTS when the tag is taken (nothing is written then).
   */
  async commit(request: CommitChanges): Promise<string | null> {
    const [commitId] = await this.commitChain({ ...request, commits: [request] });
    return commitId ?? null;
  }

  /**
   * Writes a chain of commits, each on the one before it, with one fast-import, and moves the
   * branch from `parent` to the last with one compare-and-swap (with a remote: one push with a
   * lease, then the clone's branch follows): all of them or none. Per commit its id, or null when it
   * would not change the tree (left out of the chain). Errors as `commit`.
   */
  async commitChain(request: ChainChanges): Promise<readonly (string | null)[]> {
    const chain = { ...request, ref: this.ref, committer: this.committer };
    const treeIdsOf: TreeIdsOf = async (commitIds) =>
      (await this.objects.readMany(commitIds.map((id) => ({ name: `${id}^{tree}`, maxBytes: 0 })))).map(
        (object) => (object?.type === 'tree' ? object.oid : undefined),
      );
    if (!this.remote) {
      const commitIds = await writeChain(this.path, chain, request.tag, this.warn, treeIdsOf);
      this.knowCommits(commitIds);
      return commitIds;
    }
    const { commitIds, scratch } = await createCommits(this.path, chain, treeIdsOf, this.warn);
    if (!scratch) return commitIds;
    try {
      await this.remote.push({ commitId: scratch.commitId, parent: request.parent, tag: request.tag });
    } catch (error) {
      await deleteScratchRef(this.path, scratch, this.warn);
      throw error;
    }
    this.knowCommits(commitIds);
    // The remote took it: the clone follows, whatever a concurrent fetch left in the branch.
    try {
      await moveRefs(
        this.path,
        { ref: this.ref, parent: undefined, commitId: scratch.commitId, tag: request.tag, scratch },
        this.warn,
      );
    } catch (error) {
      if (!request.onClonesRefsBehind) throw error;
      request.onClonesRefsBehind(error);
    }
    return commitIds;
  }

  /** The branch's commits that touch `paths` (validated pathspecs), newest first; none on an empty branch. */
  async log(options: LogOptions): Promise<LogEntry[]> {
    const tip = await this.readTip();
    return tip === null ? [] : readLog(this.path, tip, options);
  }

  /** An existing tag that a new tag of this name would collide with (the same, or a path clash). */
  conflictingTag(tag: string): Promise<string | undefined> {
    return conflictingTag(this.path, tag);
  }

  /** Resolves a tag to its commit; undefined when there is no such tag. */
  async resolveTag(tag: string): Promise<string | undefined> {
    const name = tag.startsWith('refs/tags/') ? tag : `refs/tags/${tag}`;
    return (await this.resolveCommit(name)) ?? undefined;
  }

  private async resolveCommit(ref: string): Promise<string | null> {
    const result = await runGit(this.path, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${ref}^{commit}`,
    ]);
    if (result.code === 0) return result.stdout.toString('utf8').trim();
    if (result.code === 1 && result.stderr === '') return null;
    throw new GitCommandError(['rev-parse'], result);
  }

  /**
   * The text of one metadata file at a commit; undefined when there is no such file.
   * CorruptRepoError when it is larger than a metadata file may be.
   */
  async readTextAt(commitId: string, path: string): Promise<string | undefined> {
    const object = await this.objects.read(`${commitId}:${path}`, METADATA_MAX_BYTES);
    if (object?.type !== 'blob') return undefined;
    if (object.oversized) throw new CorruptRepoError(path, tooLarge(object.size, METADATA_MAX_BYTES));
    return object.content.toString('utf8');
  }

  /**
   * The objects at these paths of a commit (`type` tells a file, `blob`, from a directory), read
   * in one round trip, each at most a metadata file's size (else `oversized`); paths that do not
   * exist are left out.
   */
  async readPathsAt(commitId: string, paths: readonly string[]): Promise<Map<string, ObjectRead>> {
    const objects = await this.objects.readMany(
      paths.map((path) => ({ name: `${commitId}:${path}`, maxBytes: METADATA_MAX_BYTES })),
    );
    const found = new Map<string, ObjectRead>();
    paths.forEach((path, index) => {
      const object = objects[index];
      if (object) found.set(path, object);
    });
    return found;
  }

  /** The text of metadata blobs by id (or their size, when too large to read); missing ones are left out. */
  readMetadataTexts(oids: Iterable<string>): Promise<Map<string, MetadataText>> {
    return this.readBlobTexts(oids, METADATA_MAX_BYTES);
  }

  /** The text of blobs by id, each at most `maxBytes` (else its size); missing ones are left out. */
  async readBlobTexts(oids: Iterable<string>, maxBytes: number): Promise<Map<string, MetadataText>> {
    const unique = [...new Set(oids)];
    const objects = await this.objects.readMany(unique.map((name) => ({ name, maxBytes })));
    const texts = new Map<string, MetadataText>();
    unique.forEach((oid, index) => {
      const object = objects[index];
      if (!object) return;
      texts.set(
        oid,
        object.oversized
          ? { ok: false, size: object.size }
          : { ok: true, text: object.content.toString('utf8') },
      );
    });
    return texts;
  }

  /**
   * The deployed manifest of each app directory (`environments/<env>/applications/<app>`) at a
   * commit, each at most `maxBytes` (else its size); apps without one are left out.
   * CorruptRepoError when its layout is broken.
   */
  async readDeployedManifests(
    commitId: string,
    directories: readonly string[],
    maxBytes: number,
  ): Promise<Map<string, MetadataText>> {
    const hashBytes = (await this.objectFormat()) === 'sha256' ? 32 : 20;
    return readDeployedManifests(this.objects, hashBytes, commitId, directories, maxBytes);
  }

  async emptyBlobId(): Promise<string> {
    return gitBlobId('', await this.objectFormat());
  }

  /**
   * Git maintenance at a moment the service chose (auto-gc is off): packs the loose objects and
   * small packs that writes leave into fewer, and packs loose refs. Never prunes.
   */
  async maintain(): Promise<void> {
    await gitOutput(this.path, ['repack', '-d', '-q', '--geometric=2']);
    await gitOutput(this.path, ['pack-refs', '--all']);
  }

  /**
   * A lock file that stops writes of the branch now (`refs/heads/<branch>.lock`, `packed-refs.lock`),
   * as a message naming it; undefined when there is none. A stale one is removed (and told).
   */
  async refLockProblem(): Promise<string | undefined> {
    const gitDir = await gitDirOf(this.path);
    const { held, removed } = await checkLockFiles(gitDir, refLockFiles(this.ref));
    for (const file of removed)
      this.warn({ file }, 'removed a stale lock file that a killed git process left');
    if (held === undefined) return undefined;
    const minutes = STALE_LOCK_AGE_MS / 60_000;
    return (
      `The manifest repo is locked: ${held.file} exists (for ${Math.round(held.ageMs / 1000)} s), so writes fail. ` +
      `A git process is writing, or one was killed while it did: the service removes the file once it is ${minutes} minutes old; remove it sooner if no git process works in the repository.`
    );
  }

  async readProblem(): Promise<string | undefined> {
    try {
      const tip = await this.readTip();
      // Through the reader every request uses (its header only): a reader that cannot read is
      // not ready, whatever a fresh git process says.
      const root = await this.objects.read(tip === null ? this.ref : `${tip}^{tree}`, 0);
      if (tip !== null && root === undefined)
        return "The manifest repo cannot be read: the tip's tree is missing.";
    } catch {
      return 'The manifest repo cannot be read.';
    }
    return undefined;
  }

  close(): void {
    this.objects.close();
  }
}

export function createManifestRepository(options: ManifestRepositoryOptions): ManifestRepository {
  return new ManifestRepository(options);
}
