// Real temporary git repositories for tests, built with plain git in a work tree (independent
// of the adapter under test). Identity and gc settings live in the repo's own config. A repo of
// given files is built once per test run (a template) and copied for each test that asks for it:
// a copy is one process, building is eight.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

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
// Importing this registers the file's last cleanup: what its tests did not remove goes, failed or not.
afterAll(() => removeAllFixtures());

export async function createFixtureRepo(files: FixtureFiles = {}, branch = 'main'): Promise<FixtureRepo> {
  const path = await mkdtemp(join(tmpdir(), 'trainyard-test-'));
  created.push(path);
  // `-P`: symlinks stay symlinks; no `-p`: files get the times of now, as if just written.
  execFileSync('cp', ['-R', '-P', `${templateOf(files, branch)}/.`, path]);
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
  return repo;
}

/** Where templates live: the test run's directory (test/support/testRun.ts), else one of this process. */
const templates = (() => {
  const root = process.env.TRAINYARD_TEST_ROOT;
  if (root !== undefined) return join(root, 'templates');
  const own = mkdtempSync(join(tmpdir(), 'trainyard-templates-'));
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
  return own;
})();

/**
 * The template repo of these files on this branch: a work tree with one commit of them (none
 * without files), as a person would make it. Test workers share it; the first to finish building
 * it moves it into place, the others use that one.
 */
function templateOf(files: FixtureFiles, branch: string): string {
  const entries = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const key = createHash('sha256')
    .update(JSON.stringify([branch, entries]))
    .digest('hex')
    .slice(0, 32);
  const template = join(templates, key);
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(templates, 'building-'));
  git(building, ['init', '--quiet', `--initial-branch=${branch}`]);
  git(building, ['config', 'user.name', 'Fixture Author']);
  git(building, ['config', 'user.email', 'fixture@example.com']);
  git(building, ['config', 'gc.auto', '0']);
  git(building, ['config', 'core.symlinks', 'true']);
  if (entries.length > 0) {
    writeFilesSync(building, files);
    git(building, ['add', '-A']);
    git(building, ['commit', '--quiet', '--allow-empty', '-m', 'fixture']);
  }
  try {
    renameSync(building, template);
  } catch (error) {
    // Another worker built it meanwhile.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(template)) throw error;
  }
  return template;
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
