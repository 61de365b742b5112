// Real temporary git repositories for tests, built with plain git in a work tree (independent
// of the adapter under test). Identity and gc settings live in the repo's own config. A repo of
// given files is built once per test run (a template) and copied for each test that asks for it:
// a copy takes no process, building takes three. Every git process a test starts costs a fork of
// the test worker (the biggest cost of the suite): the checks here ask git once for what they need.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** A file in a commit, as git stores it. */
export interface StoredFile {
  /** `mode type`, e.g. `100644 blob`, `120000 blob` (a symlink). */
  readonly mode: string;
  /** The content (a symlink's target). */
  readonly content: string;
}

/** Every ref and what it points to. */
export type Refs = ReadonlyMap<string, string>;

/** Every ref with what it points to, and the files git kept them in at that moment. */
export interface SavedRefs {
  readonly refs: Refs;
  /** HEAD, packed-refs and every file under refs/, with their contents, as one string. */
  readonly storage: string;
}

export interface FixtureRepo {
  /** The work tree (a non-bare repository). */
  readonly path: string;
  git(args: string[], input?: string): string;
  /** The commit the branch points to (no git process when git's ref files did not change since the last call). */
  tip(): string;
  /** Commits files (and deletions) the way a person would, outside the service. */
  commit(files: FixtureFiles, options?: { delete?: string[]; message?: string }): string;
  /** A path's content at the tip, as git stores it (a symlink's target for a symlink). */
  show(path: string, commit?: string): string;
  /** `mode type` of a path at the tip, e.g. `120000 blob`; undefined when absent. */
  modeOf(path: string, commit?: string): string | undefined;
  /**
   * The files under a directory at the tip (or `commit`), by path relative to it, sorted; none
   * when it is absent. Two git processes, however many files.
   */
  filesUnder(directory: string, commit?: string): Map<string, StoredFile>;
  /** Every ref (the branch, tags, anything else) with the object it points to, as git lists them. */
  refs(): Map<string, string>;
  saveRefs(): SavedRefs;
  /**
   * The refs now: the saved ones when the files git keeps refs in are byte for byte what they
   * were (git reads the same refs from the same files; no process needed), else as git lists them.
   */
  refsSince(saved: SavedRefs): Refs;
  /**
   * Puts every ref back to the saved ones in one ref transaction (moved ones back, new ones
   * deleted, deleted ones made again), and the work tree to the branch when commit() changed it.
   * `now`: the refs as just read, when the caller has them.
   */
  restoreRefs(saved: SavedRefs, now?: Refs): void;
  cleanup(): Promise<void>;
}

const created: string[] = [];
// Importing this registers the file's last cleanup: what its tests did not remove goes, failed or not.
afterAll(() => removeAllFixtures());

export async function createFixtureRepo(files: FixtureFiles = {}, branch = 'main'): Promise<FixtureRepo> {
  const path = await mkdtemp(join(tmpdir(), 'trainyard-test-'));
  created.push(path);
  // Symlinks stay symlinks, their targets as they are; files get the times of now, as if just written.
  copyTemplate(templateOf(files, branch), path);
  let workTreeChanged = false;
  let lastTip: { readonly storage: string; readonly tip: string } | undefined;
  const repo: FixtureRepo = {
    path,
    git: (args, input) => git(path, args, input),
    tip() {
      // The same ref files are the same tip: git is asked again only when they changed (read
      // before and after it answers, so that a ref moving meanwhile is never remembered).
      const before = refStorage(join(path, '.git'));
      if (before === lastTip?.storage) return lastTip.tip;
      const tip = git(path, ['rev-parse', `refs/heads/${branch}`]).trim();
      lastTip = refStorage(join(path, '.git')) === before ? { storage: before, tip } : undefined;
      return tip;
    },
    commit(more, options = {}) {
      workTreeChanged = true;
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
    filesUnder(directory, commit = branch) {
      const listing = git(path, [
        'ls-tree',
        '-r',
        '-z',
        '--format=%(objectmode) %(objecttype) %(objectname)%x09%(path)',
        commit,
        '--',
        `${directory}/`,
      ]);
      const entries = listing
        .split('\0')
        .filter(Boolean)
        .map((line) => {
          const tab = line.indexOf('\t');
          const [mode, type, oid] = line.slice(0, tab).split(' ') as [string, string, string];
          return { mode: `${mode} ${type}`, oid, path: line.slice(tab + 1).slice(directory.length + 1) };
        })
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const contents = readBlobs(
        path,
        entries.map(({ oid }) => oid),
      );
      return new Map(
        entries.map(({ mode, oid, path: file }) => [file, { mode, content: contents.get(oid) ?? '' }]),
      );
    },
    refs() {
      const refs = new Map<string, string>();
      for (const line of git(path, ['for-each-ref', '--format=%(objectname) %(refname)']).split('\n')) {
        const space = line.indexOf(' ');
        if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
      }
      return refs;
    },
    saveRefs() {
      // The files first: a ref that moves between the two reads makes them disagree, never agree wrongly.
      const storage = refStorage(join(path, '.git'));
      return { refs: repo.refs(), storage };
    },
    refsSince(saved) {
      return refStorage(join(path, '.git')) === saved.storage ? saved.refs : repo.refs();
    },
    restoreRefs(saved, now = repo.refsSince(saved)) {
      const lines: string[] = [];
      for (const [ref, oid] of now) {
        const was = saved.refs.get(ref);
        if (was === undefined) lines.push(`delete ${ref} ${oid}`);
        else if (was !== oid) lines.push(`update ${ref} ${was} ${oid}`);
      }
      for (const [ref, oid] of saved.refs) if (!now.has(ref)) lines.push(`create ${ref} ${oid}`);
      if (lines.length > 0)
        git(path, ['update-ref', '--stdin'], ['start', ...lines, 'prepare', 'commit', ''].join('\n'));
      if (workTreeChanged) {
        git(path, ['reset', '--quiet', '--hard']);
        git(path, ['clean', '--quiet', '-d', '--force']);
        workTreeChanged = false;
      }
    },
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
  return repo;
}

/** HEAD, packed-refs and every file under refs/ (lock files too), each with its content, sorted. */
function refStorage(gitDir: string): string {
  const files: string[] = [];
  const read = (relative: string) => {
    try {
      files.push(`${relative}\0${readFileSync(join(gitDir, relative), 'latin1')}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
  read('HEAD');
  read('packed-refs');
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(gitDir, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else read(child);
    }
  };
  walk('refs');
  return files.sort().join('\0\0');
}

/** The contents of these blobs, in one `git cat-file --batch`. */
function readBlobs(repoPath: string, oids: readonly string[]): Map<string, string> {
  const contents = new Map<string, string>();
  if (oids.length === 0) return contents;
  const output = execFileSync('git', ['-C', repoPath, 'cat-file', '--batch'], {
    env: GIT_ENV,
    input: `${oids.join('\n')}\n`,
  });
  // Each: `<oid> <type> <size>\n<content>\n`.
  let at = 0;
  while (at < output.length) {
    const lineEnd = output.indexOf(0x0a, at);
    const [oid, , size] = output.subarray(at, lineEnd).toString('latin1').split(' ');
    const start = lineEnd + 1;
    const end = start + Number(size);
    contents.set(oid as string, output.subarray(start, end).toString('utf8'));
    at = end + 1;
  }
  return contents;
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
 * without files), as a person would make it.
 */
function templateOf(files: FixtureFiles, branch: string): string {
  return cachedTemplate(`work-${keyOf(files, branch)}`, (building) => {
    git(building, ['init', '--quiet', `--initial-branch=${branch}`]);
    // The repo's own settings, written into its config file as `git config` would (a section may
    // appear twice in a config file): four processes fewer per template.
    appendFileSync(
      join(building, '.git', 'config'),
      '[user]\n\tname = Fixture Author\n\temail = fixture@example.com\n[gc]\n\tauto = 0\n[core]\n\tsymlinks = true\n',
    );
    if (Object.keys(files).length > 0) {
      writeFilesSync(building, files);
      git(building, ['add', '-A']);
      git(building, ['commit', '--quiet', '--allow-empty', '-m', 'fixture']);
    }
  });
}

/**
 * A bare repository (gc.auto 0) that the fixture repo of these files was pushed to (its branch
 * `main`), as a person seeds a git server; none pushed without files. Built once per test run.
 */
export function seededBareTemplate(files: FixtureFiles): string {
  return cachedTemplate(`bare-${keyOf(files, 'main')}`, (building) => {
    git(building, ['init', '--quiet', '--bare', '--initial-branch=main']);
    appendFileSync(join(building, 'config'), '[gc]\n\tauto = 0\n');
    if (Object.keys(files).length > 0) git(templateOf(files, 'main'), ['push', '--quiet', building, 'main']);
  });
}

/** Copies a template (seededBareTemplate) to `path`, an empty directory: symlinks as they are, files as if just written. */
export function copyTemplate(template: string, path: string): void {
  cpSync(template, path, { recursive: true, verbatimSymlinks: true });
}

function keyOf(files: FixtureFiles, branch: string): string {
  const entries = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([branch, entries]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The directory `name` of the run's templates, built by `build` (in an empty directory) when it is
 * not there yet. Test workers share it; the first to finish building it moves it into place, the
 * others use that one.
 */
function cachedTemplate(name: string, build: (building: string) => void): string {
  const template = join(templates, name);
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(templates, 'building-'));
  try {
    build(building);
    renameSync(building, template);
  } catch (error) {
    // Another worker built it meanwhile, or building failed.
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
