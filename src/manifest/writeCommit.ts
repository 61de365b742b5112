// Writes one commit with `git fast-import` (no work tree, symlinks stay data), then moves the
// branch with a compare-and-swap on its old value, so a concurrent change is never overwritten.
import { randomUUID } from 'node:crypto';
import { AppError, RefConflictError, RefLockedError } from '../domain/errors.js';
import type { TreeChange } from '../planning/changes.js';
import { GitCommandError, type GitIdentity, gitOutput, runGit, type Warn } from './git.js';
import { checkLockFiles, gitDirOf, lockFileIn, SCRATCH_REF_PREFIX, STALE_LOCK_AGE_MS } from './staleFiles.js';

export type { TreeChange };

export interface CommitRequest {
  readonly ref: string;
  /** The branch tip the change was planned on; null when the branch has no commit yet. */
  readonly parent: string | null;
  readonly changes: readonly TreeChange[];
  readonly message: string;
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
  readonly time: Date;
}

/** One commit of a chain: its changes to the tree of the commit before it, its message and author. */
export interface CommitContent {
  readonly changes: readonly TreeChange[];
  readonly message: string;
  readonly author: GitIdentity;
}

/** Commits one after another on `parent`, written by one fast-import, with one committer and time. */
export interface ChainRequest {
  readonly ref: string;
  /** The branch tip the chain was planned on; null when the branch has no commit yet. */
  readonly parent: string | null;
  readonly commits: readonly CommitContent[];
  readonly committer: GitIdentity;
  readonly time: Date;
}

/**
 * The tree ids of commits (`<commit>^{tree}` each), in the order asked. The repository answers
 * from its long-lived cat-file process; without one, a rev-parse.
 */
export type TreeIdsOf = (commitIds: readonly string[]) => Promise<readonly (string | undefined)[]>;

export function treeIdsByRevParse(repoPath: string): TreeIdsOf {
  return async (commitIds) => {
    const output = await gitOutput(repoPath, ['rev-parse', ...commitIds.map((id) => `${id}^{tree}`)]);
    return output.toString('utf8').trim().split('\n');
  };
}

/** A chain written: its commit ids, and the scratch ref on its last commit that the ref move deletes. */
export interface WrittenChain {
  /** Per commit asked for: its id, or null when it would not change the tree before it (left out). */
  readonly commitIds: readonly (string | null)[];
  /** On the last commit made; undefined when none was made (and no scratch ref is left). */
  readonly scratch: ScratchRef | undefined;
}

export interface ScratchRef {
  readonly ref: string;
  readonly commitId: string;
}

/**
 * Writes one commit on the branch with a compare-and-swap on `parent` (and its tag, in the same
 * ref transaction). Returns the new commit id, or null when the changes leave the tree as it was
 * (no commit is made then). Throws RefConflictError when the branch is no longer at `parent`,
 * RefLockedError when a lock file stops the move, TAG_EXISTS when the tag is taken.
 */
export async function writeCommit(
  repoPath: string,
  request: CommitRequest & { readonly tag?: string },
  warn?: Warn,
  treeIdsOf?: TreeIdsOf,
): Promise<string | null> {
  const [commitId] = await writeChain(
    repoPath,
    { ...request, commits: [request] },
    request.tag,
    warn,
    treeIdsOf,
  );
  return commitId ?? null;
}

/**
 * Writes a chain of commits on the branch, each on the one before it, and moves the branch to the
 * last with one compare-and-swap on `parent` (the tag, if any, on the last commit, in the same ref
 * transaction): all of them or none. A commit that would not change the tree is left out (null).
 */
export async function writeChain(
  repoPath: string,
  request: ChainRequest,
  tag: string | undefined,
  warn: Warn = () => {},
  treeIdsOf: TreeIdsOf = treeIdsByRevParse(repoPath),
): Promise<readonly (string | null)[]> {
  const { commitIds, scratch } = await createCommits(repoPath, request, treeIdsOf, warn);
  if (!scratch) return commitIds;
  await moveRefs(
    repoPath,
    { ref: request.ref, parent: request.parent, commitId: scratch.commitId, tag, scratch },
    warn,
  );
  return commitIds;
}

/**
 * Makes the commit object (no ref moves); null when it would not change the parent's tree.
 * `warn` hears of a scratch ref that could not be deleted (the commit is fine all the same).
 */
export async function createCommit(
  repoPath: string,
  request: CommitRequest,
  warn: Warn = () => {},
): Promise<string | null> {
  const { commitIds, scratch } = await createCommits(
    repoPath,
    { ...request, commits: [request] },
    treeIdsByRevParse(repoPath),
    warn,
  );
  if (scratch) await deleteScratchRef(repoPath, scratch, warn);
  return commitIds[0] ?? null;
}

/**
 * Makes the chain's commit objects with one fast-import (no ref moves but the scratch ref's). A
 * commit whose tree is its parent's is left out: then the chain is written again without it (a
 * second fast-import, rare: a write that changes nothing is mostly known before it is written).
 */
export async function createCommits(
  repoPath: string,
  request: ChainRequest,
  treeIdsOf: TreeIdsOf,
  warn: Warn = () => {},
): Promise<WrittenChain> {
  // fast-import needs a ref to commit to; one of its own per write, so that writes never share it,
  // not even with processes of other containers sharing the repository (their pids may be ours).
  const scratchRef = `${SCRATCH_REF_PREFIX}${randomUUID()}`;
  let kept = request.commits.map((_, index) => index);
  for (;;) {
    const written = await importChain(repoPath, scratchRef, {
      ...request,
      commits: kept.map((index) => request.commits[index] as CommitContent),
    });
    const trees = await treeIdsOf(request.parent === null ? written : [request.parent, ...written]);
    if (trees.some((tree) => tree === undefined)) throw new Error('a commit just written has no tree');
    // Each commit against the one before it (the first against the parent, if any).
    const unchanged = new Set<number>();
    written.forEach((_, position) => {
      const before = request.parent === null ? position - 1 : position;
      if (before >= 0 && trees[before] === trees[before + 1]) unchanged.add(position);
    });
    if (unchanged.size === 0) {
      const commitIds: (string | null)[] = request.commits.map(() => null);
      kept.forEach((index, position) => {
        commitIds[index] = written[position] as string;
      });
      const last = written[written.length - 1];
      return { commitIds, scratch: last === undefined ? undefined : { ref: scratchRef, commitId: last } };
    }
    const stillKept = kept.filter((_, position) => !unchanged.has(position));
    if (stillKept.length === 0) {
      await deleteScratchRef(
        repoPath,
        { ref: scratchRef, commitId: written[written.length - 1] as string },
        warn,
      );
      return { commitIds: request.commits.map(() => null), scratch: undefined };
    }
    kept = stillKept;
  }
}

/** One fast-import of the chain onto the scratch ref (reset first); the commit ids in order. */
async function importChain(repoPath: string, scratchRef: string, request: ChainRequest): Promise<string[]> {
  const stream = buildFastImportStream(scratchRef, request);
  const output = await gitOutput(repoPath, ['fast-import', '--quiet', '--done', '--force'], stream);
  const commitIds = output.toString('utf8').trim().split('\n');
  if (commitIds.length !== request.commits.length || !commitIds.every((id) => /^[0-9a-f]{40,64}$/.test(id))) {
    throw new Error('fast-import did not report the new commits');
  }
  return commitIds;
}

/** Not worth failing a write whose commit is made: the start-up cleanup removes the ref later. */
export async function deleteScratchRef(repoPath: string, scratch: ScratchRef, warn: Warn): Promise<void> {
  const deleted = await runGit(repoPath, ['update-ref', '-d', scratch.ref, scratch.commitId]);
  if (deleted.code !== 0) {
    const gitDir = await gitDirOf(repoPath);
    warn(
      { ref: scratch.ref, lockFile: lockFileIn(deleted.stderr, gitDir), exitCode: deleted.code },
      'the scratch ref of a write could not be deleted; it is removed at a later start',
    );
  }
}

export interface RefMove {
  readonly ref: string;
  /** What the branch must point to now; null: it must not exist. undefined: whatever it points to. */
  readonly parent: string | null | undefined;
  readonly commitId: string;
  readonly tag?: string;
  /** The scratch ref fast-import wrote: deleted in the same transaction (or after a failed one). */
  readonly scratch?: ScratchRef;
}

/**
 * Moves the branch (and creates the tag) in one transaction: both or neither. A stale lock file in
 * the way is removed (and told to `warn`) before RefLockedError, so that a retry gets through.
 */
export async function moveRefs(repoPath: string, move: RefMove, warn: Warn = () => {}): Promise<void> {
  const lines = ['start'];
  if (move.parent === null) lines.push(`create ${move.ref} ${move.commitId}`);
  else lines.push(`update ${move.ref} ${move.commitId}${move.parent === undefined ? '' : ` ${move.parent}`}`);
  if (move.tag !== undefined) lines.push(`create refs/tags/${move.tag} ${move.commitId}`);
  if (move.scratch) lines.push(`delete ${move.scratch.ref} ${move.scratch.commitId}`);
  lines.push('prepare', 'commit', '');
  const result = await runGit(repoPath, ['update-ref', '-m', 'trainyard', '--stdin'], {
    input: lines.join('\n'),
  });
  if (result.code === 0) return;
  if (move.scratch) {
    // Deleting the scratch ref takes packed-refs.lock, moving the branch does not: a lock a killed
    // process left there must not stop writes. The move alone (its failures told as below), then
    // the scratch ref on its own, warned about when it stays.
    const { scratch, ...alone } = move;
    try {
      await moveRefs(repoPath, alone, warn);
    } finally {
      await deleteScratchRef(repoPath, scratch, warn);
    }
    return;
  }
  if (move.tag !== undefined) {
    const clash = await conflictingTag(repoPath, move.tag);
    if (clash !== undefined) throw tagExists(move.tag, clash);
  }
  const tip = await runGit(repoPath, ['rev-parse', '--verify', '--quiet', move.ref]);
  const current = tip.code === 0 ? tip.stdout.toString('utf8').trim() : null;
  if (move.parent !== undefined && current !== move.parent) throw new RefConflictError(move.ref);
  // Another process holds (or a killed one left) a lock of the ref store: a retry may find it gone.
  const gitDir = await gitDirOf(repoPath);
  const lockFile = lockFileIn(result.stderr, gitDir);
  if (lockFile !== undefined) {
    const { removed } = await checkLockFiles(gitDir, [lockFile]);
    for (const file of removed) warn({ file }, 'removed a stale lock file that a killed git process left');
    // Only a compare-and-swap move is "nothing was written, try again"; a move without one follows
    // a push that the remote took already.
    if (move.parent !== undefined) throw new RefLockedError(lockFile, STALE_LOCK_AGE_MS / 60_000);
  }
  // Neither a moved branch, a lock nor a taken tag: nothing to retry.
  throw new GitCommandError(['update-ref'], result);
}

/** 409 for a tag that exists, or that a new tag's name would clash with (`v1` and `v1/x`). */
export function tagExists(tag: string, existing: string): AppError {
  return new AppError(
    'TAG_EXISTS',
    existing === tag
      ? `The git tag '${tag}' exists already.`
      : `The git tag '${tag}' cannot be made next to the existing tag '${existing}'.`,
  );
}

/**
 * An existing tag that a new tag of this name would collide with in git's ref store: the same
 * name, a tag below it (`v1/x` for `v1`), or a tag it would be below (`v1` for `v1/x`).
 */
export async function conflictingTag(repoPath: string, tag: string): Promise<string | undefined> {
  const listed = await gitOutput(repoPath, ['for-each-ref', '--format=%(refname)', 'refs/tags/']);
  const tags = listed
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((ref) => ref.slice('refs/tags/'.length));
  return tags.find(
    (existing) => existing === tag || existing.startsWith(`${tag}/`) || tag.startsWith(`${existing}/`),
  );
}

function buildFastImportStream(scratchRef: string, request: ChainRequest): Buffer {
  const parts: Buffer[] = [];
  const text = (value: string) => parts.push(Buffer.from(value, 'utf8'));
  const data = (content: string | Buffer) => {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    text(`data ${bytes.length}\n`);
    parts.push(bytes);
    text('\n');
  };
  // Marks 1..n are the commits; each distinct content is one blob after them, written once and
  // named by a mark: a train writes the same deployed_by, deployed_at_utc and version target into
  // thousands of directories, and a chain's commits share their blobs too.
  const commitCount = request.commits.length;
  const marks = new Map<string, number>();
  const markOf = (content: string | Buffer): number => {
    const key = typeof content === 'string' ? `s${content}` : `b${content.toString('latin1')}`;
    let mark = marks.get(key);
    if (mark === undefined) {
      mark = commitCount + marks.size + 1;
      marks.set(key, mark);
      text(`blob\nmark :${mark}\n`);
      data(content);
    }
    return mark;
  };
  const commandsOf = (changes: readonly TreeChange[]): string => {
    const commands: string[] = [];
    for (const change of changes) {
      const path = quotePath(change.path);
      switch (change.kind) {
        case 'file':
          commands.push(`M 100644 :${markOf(change.content)} ${path}\n`);
          break;
        case 'symlink':
          commands.push(`M 120000 :${markOf(change.target)} ${path}\n`);
          break;
        case 'blob':
          commands.push(`M 100644 ${change.oid} ${path}\n`);
          break;
        case 'delete':
          commands.push(`D ${path}\n`);
          break;
      }
    }
    return commands.join('');
  };
  // The blobs first (in the commands' order), then the commits that name them.
  const commands = request.commits.map((commit) => commandsOf(commit.changes));
  const seconds = Math.floor(request.time.getTime() / 1000);
  text(`reset ${scratchRef}\n\n`);
  request.commits.forEach((commit, index) => {
    text(`commit ${scratchRef}\nmark :${index + 1}\n`);
    text(`author ${identity(commit.author)} ${seconds} +0000\n`);
    text(`committer ${identity(request.committer)} ${seconds} +0000\n`);
    // git's own commits end their message with a newline; tools that read the log expect it.
    data(commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`);
    if (index > 0) text(`from :${index}\n`);
    else if (request.parent !== null) text(`from ${request.parent}\n`);
    text(commands[index] as string);
    text('\n');
  });
  for (let index = 1; index <= commitCount; index++) text(`get-mark :${index}\n`);
  text('done\n');
  return Buffer.concat(parts);
}

function identity({ name, email }: GitIdentity): string {
  if (/[<>\n\r\0]/.test(name) || /[<>\n\r\0]/.test(email))
    throw new Error('identity contains < > or a line break');
  return `${name} <${email}>`;
}

/** fast-import's C-style quoting, for paths that would otherwise be misread. */
function quotePath(path: string): string {
  if (!/["\\\n\r\t\0]|^"/.test(path) && !path.includes(' ')) return path;
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}
