// Reading a manifest repo that anything may have been pushed to: huge blobs, malformed trees,
// entries that are not what the layout says, names that break the naming rules, a reader
// process that dies. Built with real git (hash-object --literally, mktree, commit-tree).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch, CatFileError } from '../../src/manifest/catFileBatch.js';
import type { ManifestRepository } from '../../src/manifest/repository.js';
import type { Lock, Readable, Snapshot } from '../../src/planning/model.js';
import { createFixtureRepo, type FixtureRepo, git, removeAllFixtures } from '../support/gitFixture.js';
import {
  blobEntry,
  commitEdits,
  malformedTree,
  submoduleEntry,
  symlinkEntry,
  treeEntry,
  writeBlob,
} from '../support/hostileGit.js';
import { layoutFiles } from '../support/layout.js';
import { readSnapshotWithLsTree } from '../support/lsTreeSnapshot.js';
import { catFileProcesses, processGone } from '../support/processes.js';
import { loadAllReleases } from '../support/readSnapshot.js';
import { closeAll, ok, openAdapter, tempDir, unreadable } from './support.js';

afterAll(async () => {
  await closeAll();
  await removeAllFixtures();
});

const MiB = 1024 * 1024;

describe('CatFileBatch', () => {
  let fixture: FixtureRepo;
  let huge: string;
  let large: Buffer;
  let largeOid: string;
  let small: string;
  beforeAll(async () => {
    fixture = await createFixtureRepo({ 'README.md': 'hello\n' });
    huge = writeBlob(fixture.path, Buffer.alloc(24 * MiB, 'x'));
    large = Buffer.alloc(3 * MiB);
    for (let index = 0; index < large.length; index++) large[index] = (index * 7919) % 251;
    largeOid = writeBlob(fixture.path, large);
    small = writeBlob(fixture.path, 'small');
  });

  it('skips an object over the limit while streaming: the answer is its size, not its content', async () => {
    const objects = new CatFileBatch(fixture.path);
    try {
      const answer = await objects.read(huge, MiB);
      expect(answer).toEqual({ oid: huge, type: 'blob', size: 24 * MiB, oversized: true });
      expect(answer).not.toHaveProperty('content');
      // The stream is where it should be: the next answer is the next object.
      expect((await objects.read(small, MiB))?.oversized).toBe(false);
      const next = await objects.read(small, MiB);
      expect(next?.oversized === false && next.content.toString()).toBe('small');
    } finally {
      objects.close();
    }
  });

  it('reads an object that spans many pipe chunks whole, byte for byte', async () => {
    const objects = new CatFileBatch(fixture.path);
    try {
      const answer = await objects.read(largeOid, 4 * MiB);
      expect(answer?.oversized === false && answer.content.equals(large)).toBe(true);
    } finally {
      objects.close();
    }
  });

  it('answers a batch of missing, oversized and small objects in the order asked', async () => {
    const objects = new CatFileBatch(fixture.path);
    try {
      const answers = await objects.readMany([
        { name: small, maxBytes: MiB },
        { name: 'f'.repeat(40), maxBytes: MiB },
        { name: huge, maxBytes: MiB },
        { name: largeOid, maxBytes: 4 * MiB },
        { name: `${fixture.tip()}:README.md`, maxBytes: MiB },
        { name: largeOid, maxBytes: 1 },
      ]);
      const summary = answers.map((answer) =>
        answer === undefined
          ? 'missing'
          : answer.oversized
            ? `oversized ${answer.size}`
            : answer.content.length,
      );
      expect(summary).toEqual([5, 'missing', `oversized ${24 * MiB}`, 3 * MiB, 6, `oversized ${3 * MiB}`]);
    } finally {
      objects.close();
    }
  });

  it("keeps git's stderr in the error: a path that is not a git repository", async () => {
    const notARepo = await tempDir();
    const objects = new CatFileBatch(notARepo);
    try {
      const failure = await objects.read('HEAD', MiB).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CatFileError);
      expect((failure as Error).message).toMatch(/not a git repository/);
      // Once it is one, the next read starts a new process and is answered.
      git(notARepo, ['init', '--quiet']);
      expect(await objects.read('HEAD', MiB)).toBeUndefined();
    } finally {
      objects.close();
    }
  });

  it('starts a new process for the next read after the old one was killed', async () => {
    const objects = new CatFileBatch(fixture.path);
    try {
      expect((await objects.read(small, MiB))?.oversized).toBe(false);
      const [first, ...others] = catFileProcesses(fixture.path);
      expect(first).toBeDefined();
      expect(others).toEqual([]);
      process.kill(first as number, 'SIGKILL');
      await processGone(first as number);
      const answer = await objects.read(small, MiB);
      expect(answer?.oversized === false && answer.content.toString()).toBe('small');
      expect(catFileProcesses(fixture.path).filter((pid) => pid !== first)).toHaveLength(1);
    } finally {
      objects.close();
    }
  });
});

/** Plain data of a snapshot (every release's manifests included), for deep equality. */
async function plain(repo: ManifestRepository, snapshot: Snapshot): Promise<unknown> {
  await loadAllReleases(repo, snapshot);
  const readable = <T>(value: Readable<T>, map: (inner: T) => unknown) =>
    value.ok ? { ok: true, value: map(value.value) } : value;
  const locks = (value: ReadonlyMap<string, Lock>) => Object.fromEntries(value);
  return {
    commitId: snapshot.commitId,
    environments: [...snapshot.environments.values()].map((environment) => ({
      ...environment,
      locks: readable(environment.locks, locks),
      teamLocks: [...environment.teamLocks].map(([team, value]) => [team, readable(value, locks)]),
      applications: [...environment.applications].map(([app, state]) => ({
        app,
        ...state,
        locks: readable(state.locks, locks),
      })),
    })),
    applications: [...snapshot.applications.values()].map((application) => ({
      ...application,
      releases: [...application.releases.values()].map((release) => ({
        version: release.version,
        manifests: Object.fromEntries(release.manifests ?? []),
      })),
    })),
    problems: snapshot.problems,
  };
}

describe('a repo with entries that break the layout', () => {
  let fixture: FixtureRepo;
  let snapshot: Snapshot;
  let repo: ManifestRepository;
  beforeAll(async () => {
    fixture = await createFixtureRepo(
      layoutFiles({
        apps: {
          web: { team: 'shop', releases: { 1: ['dev', 'staging'] } },
          api: { releases: { 1: ['dev'] } },
        },
        environments: {
          dev: { config: { upstream: { latest: true } }, deployed: { web: 1, api: 1 } },
          staging: { config: { upstream: { environment: 'dev' } }, deployed: { web: 1 } },
          'team-file': { config: {} },
        },
      }),
    );
    const path = fixture.path;
    const tip = fixture.tip();
    const text = (content: string) => blobEntry(writeBlob(path, content));
    const devTree = git(path, ['rev-parse', 'main:environments/dev']).trim();
    const webTree = git(path, ['rev-parse', 'main:applications/web']).trim();
    const webInDev = git(path, ['rev-parse', 'main:environments/dev/applications/web']).trim();
    const lockTree = (message: string) =>
      treeEntry(git(path, ['mktree'], `100644 blob ${writeBlob(path, message)}\tmessage\n`).trim());
    commitEdits(path, [
      { path: ['environments', 'a-file'], entry: text('not a directory') },
      { path: ['environments', 'a-link'], entry: symlinkEntry(writeBlob(path, '../elsewhere')) },
      { path: ['environments', 'a-submodule'], entry: submoduleEntry(tip) },
      { path: ['environments', 'Bad_Env'], entry: treeEntry(devTree) },
      { path: ['environments', 'dev', 'applications', 'evil\nname'], entry: treeEntry(webInDev) },
      { path: ['environments', 'dev', 'applications', 'a-file-app'], entry: text('x') },
      { path: ['environments', 'dev', 'teams', 'Shop Team'], entry: treeEntry(devTree) },
      { path: ['environments', 'dev', 'teams', 'shop', 'locks', 'ok-lock'], entry: lockTree('fine') },
      { path: ['environments', 'staging', 'locks', 'bad id'], entry: lockTree('x') },
      { path: ['environments', 'staging', 'locks', 'good-id'], entry: lockTree('y') },
      { path: ['environments', 'team-file', 'teams'], entry: text('a file') },
      {
        path: ['environments', 'deep', 'config.json'],
        entry: text(`{"x": ${'['.repeat(40)}${']'.repeat(40)}}`),
      },
      { path: ['environments', 'deep-object', 'config.json'], entry: text(deepObject(33)) },
      { path: ['environments', 'bad-group', 'config.json'], entry: text('{"environmentGroup": "Prod\\nX"}') },
      { path: ['environments', 'big-lock', 'locks', 'big', 'message'], entry: text('m'.repeat(MiB + 1)) },
      { path: ['applications', 'evil\nname'], entry: treeEntry(webTree) },
      { path: ['applications', 'bad-team', 'team'], entry: text('Shop\nInjected: yes') },
      { path: ['applications', 'big-team', 'team'], entry: text('t'.repeat(MiB + 1)) },
      { path: ['applications', 'releases-file', 'releases'], entry: text('x') },
      { path: ['applications', 'app-file'], entry: text('x') },
    ]);
    repo = openAdapter(path);
    snapshot = await repo.readTipSnapshot();
  });

  it('reads the same snapshot as an independent ls-tree reader, problems included', async () => {
    const objects = new CatFileBatch(fixture.path);
    try {
      const full = await readSnapshotWithLsTree(fixture.path, objects, fixture.tip());
      expect(await plain(repo, snapshot)).toEqual(await plain(repo, full));
    } finally {
      objects.close();
    }
  });

  it('lists every entry it could not model, with what it hides', () => {
    expect(snapshot.problems.map(({ file, hides }) => [file, hides])).toEqual([
      ['applications/app-file', { kind: 'application', name: 'app-file' }],
      ['applications/bad-team/team', { kind: 'application', name: 'bad-team' }],
      ['applications/big-team/team', { kind: 'application', name: 'big-team' }],
      ['applications/evil\\u000aname', { kind: 'ignored' }],
      ['applications/releases-file/releases', { kind: 'application', name: 'releases-file' }],
      ['environments/Bad_Env', { kind: 'environment', name: undefined }],
      ['environments/a-file', { kind: 'environment', name: 'a-file' }],
      ['environments/a-link', { kind: 'environment', name: 'a-link' }],
      ['environments/a-submodule', { kind: 'environment', name: 'a-submodule' }],
      ['environments/dev/applications/evil\\u000aname', { kind: 'ignored' }],
      ['environments/dev/teams/Shop Team', { kind: 'ignored' }],
      ['environments/team-file/teams', { kind: 'environment', name: 'team-file' }],
    ]);
    const reasons = Object.fromEntries(snapshot.problems.map(({ file, reason }) => [file, reason]));
    expect(reasons['environments/a-submodule']).toBe(
      'a submodule entry (mode 160000) where a directory belongs',
    );
    expect(reasons['environments/Bad_Env']).toMatch(/not a valid environment name/);
    expect(reasons['applications/big-team/team']).toBe(
      `is ${MiB + 1} bytes, more than the ${MiB} bytes this file may have`,
    );
    // No name from the repo starts a new line anywhere in what is reported.
    expect(JSON.stringify(snapshot.problems)).not.toContain('\\n');
  });

  it('leaves what it could not model out of the maps', () => {
    expect([...snapshot.environments.keys()]).toEqual(
      ['big-lock', 'bad-group', 'deep', 'deep-object', 'dev', 'staging'].sort(),
    );
    expect([...snapshot.applications.keys()]).toEqual(['api', 'web']);
    expect([...snapshot.environments.get('dev')!.applications.keys()]).toEqual(['a-file-app', 'api', 'web']);
    expect([...snapshot.environments.get('dev')!.teamLocks.keys()]).toEqual(['shop']);
  });

  it('reads values that break the rules as Unreadable, naming the file', () => {
    const environment = (name: string) => snapshot.environments.get(name)!;
    expect(unreadable(environment('deep').config).reason).toBe('nests more than 32 levels deep');
    expect(unreadable(environment('deep-object').config).reason).toBe('nests more than 32 levels deep');
    expect(unreadable(environment('bad-group').config).reason).toBe(
      'environmentGroup is not a valid group name',
    );
    expect(unreadable(environment('big-lock').locks)).toEqual({
      ok: false,
      file: 'environments/big-lock/locks/big/message',
      reason: `is ${MiB + 1} bytes, more than the ${MiB} bytes this file may have`,
    });
    // A lock with an invalid id is never left out: the locks cannot be read.
    expect(unreadable(environment('staging').locks).file).toBe('environments/staging/locks/bad id');
    const fileApp = environment('dev').applications.get('a-file-app')!;
    const values: Readable<unknown>[] = [fileApp.deployedVersion, fileApp.queuedVersion, fileApp.locks];
    for (const value of values) {
      expect(unreadable(value)).toEqual({
        ok: false,
        file: 'environments/dev/applications/a-file-app',
        reason: 'a file where a directory belongs',
      });
    }
    expect(ok(environment('dev').teamLocks.get('shop')!).get('ok-lock')?.message).toBe('fine');
  });
});

/** `{"a":{"a":...}}`, `depth` objects deep. */
function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

describe('a repo with malformed trees', () => {
  let fixture: FixtureRepo;
  beforeAll(async () => {
    fixture = await createFixtureRepo(
      layoutFiles({
        apps: { web: { releases: { 1: ['dev', 'staging'] } } },
        environments: {
          dev: { config: { upstream: { latest: true } }, deployed: { web: 1 } },
          staging: { config: { upstream: { environment: 'dev' } }, deployed: { web: 1 } },
        },
      }),
    );
  });

  it('reads a malformed tree as unreadable data naming its path, at every level', async () => {
    const bad = malformedTree(fixture.path);
    commitEdits(fixture.path, [
      { path: ['environments', 'broken'], entry: treeEntry(bad) },
      { path: ['environments', 'dev', 'locks'], entry: treeEntry(bad) },
      { path: ['environments', 'staging', 'applications', 'web'], entry: treeEntry(bad) },
      { path: ['applications', 'broken-app'], entry: treeEntry(bad) },
    ]);
    const snapshot = await openAdapter(fixture.path).readTipSnapshot();
    expect(snapshot.problems.map(({ file, hides }) => [file, hides])).toEqual([
      ['applications/broken-app', { kind: 'application', name: 'broken-app' }],
      ['environments/broken', { kind: 'environment', name: 'broken' }],
    ]);
    expect(snapshot.problems[0]?.reason).toMatch(
      /^malformed git tree: an entry name without its terminating NUL/,
    );
    expect(unreadable(snapshot.environments.get('dev')!.locks).file).toBe('environments/dev/locks');
    expect(
      unreadable(snapshot.environments.get('staging')!.applications.get('web')!.deployedVersion).file,
    ).toBe('environments/staging/applications/web');
    expect(ok(snapshot.environments.get('dev')!.applications.get('web')!.deployedVersion)).toBe(1);
  });

  it('reads a malformed root tree as a corrupt repo', async () => {
    const repo = openAdapter(fixture.path);
    const root = malformedTree(fixture.path);
    const commit = git(fixture.path, ['commit-tree', root, '-m', 'broken root'], '').trim();
    await expect(repo.snapshot(commit)).rejects.toMatchObject({ code: 'MANIFEST_REPO_CORRUPT', file: '/' });
  });

  it('reads a release whose manifests.yaml is a directory as a corrupt release', async () => {
    const release = await createFixtureRepo(layoutFiles({ apps: { web: { releases: { 1: ['dev'] } } } }));
    commitEdits(release.path, [
      {
        path: ['applications', 'web', 'releases', '1', 'environments', 'dev', 'manifests.yaml'],
        entry: treeEntry(git(release.path, ['rev-parse', 'main:applications/web/releases/1']).trim()),
      },
    ]);
    const repo = openAdapter(release.path);
    const snapshot = await repo.readTipSnapshot();
    await expect(repo.loadReleases(snapshot, [{ app: 'web', version: 1 }])).rejects.toMatchObject({
      code: 'MANIFEST_REPO_CORRUPT',
      file: 'applications/web/releases/1/environments/dev/manifests.yaml',
    });
  });
});

describe('a read that failed', () => {
  it('is not kept: once the object can be read again, so can the snapshot', async () => {
    const fixture = await createFixtureRepo(
      layoutFiles({ environments: { dev: { config: { upstream: { latest: true } } } } }),
    );
    const repo = openAdapter(fixture.path);
    const devTree = git(fixture.path, ['rev-parse', 'main:environments/dev']).trim();
    const objectFile = join(fixture.path, '.git', 'objects', devTree.slice(0, 2), devTree.slice(2));
    const saved = readFileSync(objectFile);
    chmodSync(objectFile, 0o644);
    writeFileSync(objectFile, 'not a git object');
    await expect(repo.readTipSnapshot()).rejects.toThrow(/missing/);
    writeFileSync(objectFile, saved);
    expect([...(await repo.readTipSnapshot()).environments.keys()]).toEqual(['dev']);
  });
});

describe('the first requests after start', () => {
  it('share one cold read of the tip', async () => {
    const files = layoutFiles({
      apps: { web: { releases: { 1: ['dev'] } } },
      environments: { dev: { config: { upstream: { latest: true } }, deployed: { web: 1 } } },
    });
    const one = openAdapter((await createFixtureRepo(files)).path);
    await one.readTipSnapshot();
    const eight = openAdapter((await createFixtureRepo(files)).path);
    const snapshots = await Promise.all(Array.from({ length: 8 }, () => eight.readTipSnapshot()));
    expect(new Set(snapshots).size).toBe(1);
    expect(eight.objectsRead).toBe(one.objectsRead);
  });
});
