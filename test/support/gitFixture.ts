// Real temporary git repositories for tests, built with plain git in a work tree (independent
// of the adapter under test). Identity and gc settings live in the repo's own config.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** path -> file content, or a symlink target. */
export type FixtureFiles = Record<string, string | { symlink: string }>;

/** git for tests: no global or system config of the machine, C locale. */
export const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  LANG: 'C',
  LC_ALL: 'C',
};

export function git(repoPath: string, args: string[], input?: string): string {
  return execFileSync('git', ['-C', repoPath, ...args], { env: GIT_ENV, input, encoding: 'utf8' });
}

export interface FixtureRepo {
  /** The work tree (a non-bare repository). */
  readonly path: string;
  git(args: string[], input?: string): string;
  /** The commit the branch points to. */
  tip(): string;
  /** Commits files (and deletions) the way a person would, outside the service. */
  commit(files: FixtureFiles, options?: { delete?: string[]; message?: string }): string;
  /** A path's content at the tip, as git stores it (a symlink's target for a symlink). */
  show(path: string, commit?: string): string;
  /** `mode type` of a path at the tip, e.g. `120000 blob`; undefined when absent. */
  modeOf(path: string, commit?: string): string | undefined;
  cleanup(): Promise<void>;
}

const created: string[] = [];

export async function createFixtureRepo(files: FixtureFiles = {}, branch = 'main'): Promise<FixtureRepo> {
  const path = await mkdtemp(join(tmpdir(), 'trainyard-test-'));
  created.push(path);
  git(path, ['init', '--quiet', `--initial-branch=${branch}`]);
  git(path, ['config', 'user.name', 'Fixture Author']);
  git(path, ['config', 'user.email', 'fixture@example.com']);
  git(path, ['config', 'gc.auto', '0']);
  git(path, ['config', 'core.symlinks', 'true']);
  const repo: FixtureRepo = {
    path,
    git: (args, input) => git(path, args, input),
    tip: () => git(path, ['rev-parse', `refs/heads/${branch}`]).trim(),
    commit(more, options = {}) {
      writeFilesSync(path, more);
      for (const file of options.delete ?? []) git(path, ['rm', '-r', '--quiet', '--', file]);
      git(path, ['add', '-A']);
      git(path, ['commit', '--quiet', '--allow-empty', '-m', options.message ?? 'fixture commit']);
      return repo.tip();
    },
    show: (file, commit = branch) => git(path, ['cat-file', '-p', `${commit}:${file}`]),
    modeOf(file, commit = branch) {
      const line = git(path, ['ls-tree', commit, '--', file]).trim();
      if (!line) return undefined;
      const [mode, type] = line.split(/\s+/);
      return `${mode} ${type}`;
    },
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
  if (Object.keys(files).length > 0) repo.commit(files, { message: 'fixture' });
  return repo;
}

export async function removeAllFixtures(): Promise<void> {
  await Promise.all(created.splice(0).map((path) => rm(path, { recursive: true, force: true })));
}

function writeFilesSync(root: string, files: FixtureFiles): void {
  for (const [file, content] of Object.entries(files)) {
    const full = join(root, file);
    mkdirSync(dirname(full), { recursive: true });
    rmSync(full, { force: true, recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else symlinkSync(content.symlink, full);
  }
}
