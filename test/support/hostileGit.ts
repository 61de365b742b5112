// Objects git accepts but no well-behaved tool writes, made with real git the way an outside push
// could bring them: tree entries of any mode and name (git mktree), trees of any bytes
// (git hash-object --literally), committed on the branch with commit-tree and update-ref.
import { execFileSync } from 'node:child_process';
import { GIT_ENV } from './gitFixture.js';

export interface RawEntry {
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly oid: string;
}

/** One change of a tree: the entry at `path` (names may hold any byte but NUL and '/'), or none. */
export interface TreeEdit {
  readonly path: readonly string[];
  readonly entry: RawEntry | undefined;
}

const OUTSIDE_ENV = {
  ...GIT_ENV,
  GIT_AUTHOR_NAME: 'Outside Person',
  GIT_AUTHOR_EMAIL: 'outside@example.com',
  GIT_COMMITTER_NAME: 'Outside Person',
  GIT_COMMITTER_EMAIL: 'outside@example.com',
};

function gitBytes(repoPath: string, args: readonly string[], input?: string | Buffer): Buffer {
  return execFileSync('git', ['-C', repoPath, ...args], {
    env: OUTSIDE_ENV,
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
}

function gitLine(repoPath: string, args: readonly string[], input?: string | Buffer): string {
  return gitBytes(repoPath, args, input).toString('utf8').trim();
}

export function writeBlob(repoPath: string, content: string | Buffer): string {
  return gitLine(repoPath, ['hash-object', '-w', '--stdin'], content);
}

/** A tree object of exactly these bytes, malformed or not. */
export function writeLiteralTree(repoPath: string, content: Buffer): string {
  return gitLine(repoPath, ['hash-object', '-w', '--literally', '-t', 'tree', '--stdin'], content);
}

export const blobEntry = (oid: string): RawEntry => ({ mode: '100644', type: 'blob', oid });
export const symlinkEntry = (oid: string): RawEntry => ({ mode: '120000', type: 'blob', oid });
export const treeEntry = (oid: string): RawEntry => ({ mode: '040000', type: 'tree', oid });
export const submoduleEntry = (commit: string): RawEntry => ({ mode: '160000', type: 'commit', oid: commit });

/** The tree id of `tree` (a tree id or a revision like `main^{tree}`) with the edits made. */
export function editTree(repoPath: string, tree: string | undefined, edits: readonly TreeEdit[]): string {
  const entries = new Map<string, RawEntry>();
  if (tree !== undefined) {
    const listing = gitBytes(repoPath, ['ls-tree', '-z', tree]).toString('utf8');
    for (const record of listing.split('\0').filter(Boolean)) {
      const tab = record.indexOf('\t');
      const [mode, type, oid] = record.slice(0, tab).split(' ') as [string, RawEntry['type'], string];
      entries.set(record.slice(tab + 1), { mode, type, oid });
    }
  }
  const byName = new Map<string, TreeEdit[]>();
  for (const edit of edits) {
    const [name, ...rest] = edit.path;
    if (name === undefined) throw new Error('an edit needs a path');
    if (rest.length === 0) {
      if (edit.entry) entries.set(name, edit.entry);
      else entries.delete(name);
    } else {
      byName.set(name, [...(byName.get(name) ?? []), { path: rest, entry: edit.entry }]);
    }
  }
  for (const [name, deeper] of byName) {
    const existing = entries.get(name);
    const subtree = existing?.type === 'tree' ? existing.oid : undefined;
    entries.set(name, treeEntry(editTree(repoPath, subtree, deeper)));
  }
  const input = [...entries]
    .map(([name, entry]) => `${entry.mode} ${entry.type} ${entry.oid}\t${name}\0`)
    .join('');
  return gitLine(repoPath, ['mktree', '-z', '--missing'], input);
}

/** Commits `tree` on the branch tip (as an outside push would) and moves the branch; the commit id. */
export function commitTree(repoPath: string, tree: string, branch = 'main'): string {
  const ref = `refs/heads/${branch}`;
  const parent = gitLine(repoPath, ['rev-parse', ref]);
  const commit = gitLine(repoPath, ['commit-tree', tree, '-p', parent, '-m', 'an outside commit']);
  gitLine(repoPath, ['update-ref', ref, commit, parent]);
  return commit;
}

/** Edits the tip's tree and commits the result on the branch; the commit id. */
export function commitEdits(repoPath: string, edits: readonly TreeEdit[], branch = 'main'): string {
  return commitTree(repoPath, editTree(repoPath, `refs/heads/${branch}^{tree}`, edits), branch);
}

/** A malformed tree: an entry whose name never ends (no NUL), which once made the reader loop for good. */
export function malformedTree(repoPath: string): string {
  return writeLiteralTree(repoPath, Buffer.from('100644 message-without-end'));
}

/**
 * A tree that names one entry twice: well-formed enough for git to pack and send (unlike a
 * truncated one), and refused by fsck (duplicateEntries).
 */
export function duplicateEntriesTree(repoPath: string): string {
  const blob = Buffer.from(writeBlob(repoPath, 'twice'), 'hex');
  const entry = Buffer.concat([Buffer.from('100644 same\0'), blob]);
  return writeLiteralTree(repoPath, Buffer.concat([entry, entry]));
}
