// What a killed git process (or a killed write of the service) leaves in a repository: lock files,
// temporary object files, scratch refs of writes. Decided by age alone (mtime), never by process
// ids: the repository may be shared with processes of other containers, whose ids mean nothing here.
import { randomUUID } from 'node:crypto';
import { link, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { runGit } from './git.js';

/** git holds a ref lock for milliseconds; one this old belongs to no live process. */
export const STALE_LOCK_AGE_MS = 5 * 60_000;
/**
 * A temporary object file grows while a fetch or fast-import writes it; none stays unchanged this
 * long (a fetch is killed after GIT_REMOTE_TIMEOUT_SECONDS, at most an hour).
 */
export const STALE_TEMP_AGE_MS = 60 * 60_000;

/** Where createCommit keeps the ref fast-import needs, one per write, deleted right after. */
export const SCRATCH_REF_PREFIX = 'refs/trainyard/pending/';

/** The directory with refs/ and objects/: the repository itself when bare, else its `.git`. */
export async function gitDirOf(path: string): Promise<string> {
  const dotGit = join(path, '.git');
  const gitDir = (await stat(dotGit).catch(() => undefined))?.isDirectory() ? dotGit : path;
  return realpath(gitDir).catch(() => resolve(gitDir));
}

/**
 * Removes, at start, what killed processes left: lock files older than STALE_LOCK_AGE_MS (at the
 * top, under refs/ and objects/pack/), temporary object files older than STALE_TEMP_AGE_MS, and
 * scratch refs of writes older than STALE_LOCK_AGE_MS. Younger ones may belong to a process that
 * still runs (here or in another container sharing the volume) and stay. Returns the paths removed,
 * relative to the repository's git directory.
 */
export async function removeStaleGitFiles(path: string, now = Date.now()): Promise<string[]> {
  const gitDir = await gitDirOf(path);
  const removed: string[] = [];
  const locks = [
    ...(await readdir(gitDir).catch(() => [] as string[])).filter((name) => name.endsWith('.lock')),
    ...(await listFiles(join(gitDir, 'refs')))
      .filter((file) => file.endsWith('.lock'))
      .map((file) => `refs/${file}`),
    ...(await readdir(join(gitDir, 'objects/pack')).catch(() => [] as string[]))
      .filter((name) => name.endsWith('.lock'))
      .map((name) => `objects/pack/${name}`),
  ];
  // Locks first: a stale packed-refs.lock would stop the deletion of scratch refs.
  for (const file of locks) {
    if (await removeStaleLock(gitDir, file, now)) removed.push(file);
  }
  for (const file of await temporaryObjectFiles(gitDir)) {
    const found = await stat(join(gitDir, file)).catch(() => undefined);
    if (found && now - found.mtimeMs >= STALE_TEMP_AGE_MS) {
      await rm(join(gitDir, file), { recursive: true, force: true });
      removed.push(file);
    }
  }
  removed.push(...(await removeStaleScratchRefs(path, gitDir, now)));
  return removed;
}

/** `tmp_pack_*`, `tmp_idx_*`, ... of an unfinished fetch or fast-import, and unfinished loose objects. */
async function temporaryObjectFiles(gitDir: string): Promise<string[]> {
  const files: string[] = [];
  const temporary = /^tmp_(pack|idx|rev|obj|bitmap|midx)_/;
  for (const name of await readdir(join(gitDir, 'objects/pack')).catch(() => [] as string[])) {
    if (temporary.test(name)) files.push(`objects/pack/${name}`);
  }
  for (const name of await readdir(join(gitDir, 'objects')).catch(() => [] as string[])) {
    if (temporary.test(name)) files.push(`objects/${name}`);
    else if (/^[0-9a-f]{2}$/.test(name)) {
      for (const loose of await readdir(join(gitDir, 'objects', name)).catch(() => [] as string[])) {
        if (loose.startsWith('tmp_obj_')) files.push(`objects/${name}/${loose}`);
      }
    }
  }
  return files;
}

/**
 * Scratch refs of writes that never finished. A loose one is as old as its file; a packed one (by
 * maintenance) as its commit, which the write made just before.
 */
async function removeStaleScratchRefs(path: string, gitDir: string, now: number): Promise<string[]> {
  const listed = await runGit(path, [
    'for-each-ref',
    '--format=%(refname) %(objectname) %(committerdate:unix)',
    SCRATCH_REF_PREFIX,
  ]);
  if (listed.code !== 0) return []; // a repository too broken to list refs is not cleaned here
  const removed: string[] = [];
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [ref, oid, committed] = line.split(' ');
    if (!ref || !oid) continue;
    const loose = await stat(join(gitDir, ref)).catch(() => undefined);
    const madeAt = loose ? loose.mtimeMs : Number(committed) * 1000;
    if (!(now - madeAt >= STALE_LOCK_AGE_MS)) continue;
    // With its value: a ref that changed meanwhile is not ours to delete.
    const deleted = await runGit(path, ['update-ref', '-d', ref, oid]);
    if (deleted.code === 0) removed.push(ref);
  }
  return removed;
}

/**
 * The lock files that stop the branch (and a tag) from moving: `<ref>.lock`, and `packed-refs.lock`,
 * which every deletion of a ref needs (a write's scratch ref, a pruning fetch, maintenance).
 */
export function refLockFiles(ref: string, tag?: string): string[] {
  return [`${ref}.lock`, ...(tag === undefined ? [] : [`refs/tags/${tag}.lock`]), 'packed-refs.lock'];
}

export interface LockFileCheck {
  /** A lock file that exists and is young enough to belong to a live process. */
  readonly held: { readonly file: string; readonly ageMs: number } | undefined;
  /** Stale lock files that were removed. */
  readonly removed: readonly string[];
}

/**
 * Which of `files` (relative to the git directory) exist now. A stale one (STALE_LOCK_AGE_MS) is
 * removed, as at start: so a lock a killed process left goes away without a restart.
 */
export async function checkLockFiles(
  gitDir: string,
  files: readonly string[],
  now = Date.now(),
): Promise<LockFileCheck> {
  const removed: string[] = [];
  let held: LockFileCheck['held'];
  for (const file of files) {
    const found = await stat(join(gitDir, file)).catch(() => undefined);
    if (!found) continue;
    if (await removeStaleLock(gitDir, file, now)) removed.push(file);
    else held ??= { file, ageMs: Math.max(0, now - found.mtimeMs) };
  }
  return { held, removed };
}

/**
 * Removes a lock file when it is older than STALE_LOCK_AGE_MS. It is first renamed aside and checked
 * to be the same file: a git process may have made a new lock between the age check and the rename
 * (after another process removed the old one), and that one is put back.
 */
async function removeStaleLock(gitDir: string, file: string, now: number): Promise<boolean> {
  const path = join(gitDir, file);
  const before = await stat(path).catch(() => undefined);
  if (!before || now - before.mtimeMs < STALE_LOCK_AGE_MS) return false;
  // Ends in .lock, so that a later start removes it should this process die right here.
  const aside = join(gitDir, `trainyard-stale-${randomUUID()}.lock`);
  try {
    await rename(path, aside);
  } catch {
    return false; // gone meanwhile
  }
  const taken = await stat(aside);
  if (taken.ino !== before.ino || taken.dev !== before.dev) {
    await link(aside, path).catch(() => {}); // fails only when yet another lock is there: that one holds
    await unlink(aside);
    return false;
  }
  await unlink(aside);
  return true;
}

/**
 * The lock file git names in "Unable to create '<path>.lock': File exists", relative to the git
 * directory (an answer never shows a host path); undefined when git said no such thing.
 */
export function lockFileIn(message: string, gitDir: string): string | undefined {
  const named = /Unable to create '([^'\n]+\.lock)': File exists/.exec(message)?.[1];
  if (named === undefined) return undefined;
  const inside = relative(gitDir, resolve(named));
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : 'a lock file of the repository';
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const relativePath = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(join(dir, entry.name), relativePath)));
    else files.push(relativePath);
  }
  return files;
}
