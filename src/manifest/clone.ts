// The local clone of a remote manifest repo is a cache: made at the first start, reused and
// brought up to date after that, cleaned of what a crash left behind, replaced when corrupt.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gitOutput, runGit } from './git.js';
import type { Remote } from './remote.js';
import { removeStaleGitFiles } from './staleFiles.js';

/** Written into every clone the service makes: only such a directory is ever deleted by it. */
export const CLONE_MARKER = 'trainyard-clone';

export interface PreparedClone {
  readonly action: 'cloned' | 'reused' | 'replaced';
  /** Lock and temporary files and scratch refs that killed processes left, removed (staleFiles.ts). */
  readonly removedStaleFiles: readonly string[];
  /** Why the clone was replaced, when it was. */
  readonly corruption?: string;
  /** A fetch error at start, when the existing clone was kept anyway (served until the remote is back). */
  readonly fetchError?: Error;
}

/**
 * Makes `remote.repoPath` a bare clone of the remote's branch and tags. An existing clone is
 * reused when sound (a failed fetch then only delays readiness), a corrupt one is replaced. A
 * directory the service did not make is refused, never changed.
 */
export async function prepareClone(remote: Remote): Promise<PreparedClone> {
  const path = remote.repoPath;
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new Error(`${path} is not a directory`);
  if (!existing || (await readdir(path)).length === 0) {
    await initClone(remote);
    await remote.fetch();
    return { action: 'cloned', removedStaleFiles: [] };
  }
  // Fetching overwrites the branch with the remote's: only a clone the service made is a cache.
  const ours = await stat(join(path, CLONE_MARKER)).then(
    () => true,
    () => false,
  );
  if (!ours) {
    throw new Error(
      `${path} is not empty and not a clone Trainyard made; with MANIFEST_REPO_URL, point MANIFEST_REPO_PATH at a missing or empty directory`,
    );
  }
  const removedStaleFiles = await removeStaleGitFiles(path);
  const corruption = await checkClone(path);
  if (corruption !== undefined) {
    // Emptied rather than removed: the path may be a mounted volume.
    const entries = await readdir(path);
    await Promise.all(entries.map((entry) => rm(join(path, entry), { recursive: true, force: true })));
    await initClone(remote);
    await remote.fetch();
    return { action: 'replaced', removedStaleFiles, corruption };
  }
  try {
    await remote.fetch();
    return { action: 'reused', removedStaleFiles };
  } catch (error) {
    return { action: 'reused', removedStaleFiles, fetchError: error as Error };
  }
}

async function initClone(remote: Remote): Promise<void> {
  const path = remote.repoPath;
  await mkdir(path, { recursive: true }); // `git -C` needs the directory
  await gitOutput(path, ['init', '--quiet', '--bare', `--initial-branch=${remote.branch}`]);
  // Maintenance runs when the service chooses (between writes), never in the middle of one.
  await gitOutput(path, ['config', 'gc.auto', '0']);
  await gitOutput(path, ['config', 'maintenance.auto', 'false']);
  await gitOutput(path, ['config', 'receive.autogc', 'false']);
  await writeFile(
    join(path, CLONE_MARKER),
    `${JSON.stringify({ url: remote.displayUrl, branch: remote.branch })}\n`,
  );
}

/** Why the repository at `path` cannot be used, or undefined when it is sound. */
async function checkClone(path: string): Promise<string | undefined> {
  const found = await runGit(path, ['rev-parse', '--is-bare-repository', '--absolute-git-dir']);
  if (found.code !== 0) return found.stderr.trim().split('\n')[0] || 'not a git repository';
  const gitDir = found.stdout.toString('utf8').trim().split('\n')[1] ?? '';
  if (resolve(gitDir) !== resolve(path) && resolve(gitDir) !== resolve(path, '.git')) {
    return 'it is inside another repository';
  }
  // Every object reachable from a ref must be there and readable.
  const fsck = await runGit(path, ['fsck', '--connectivity-only', '--no-dangling', '--no-progress']);
  if (fsck.code !== 0) return fsck.stderr.trim().split('\n')[0] || 'git fsck failed';
  return undefined;
}
