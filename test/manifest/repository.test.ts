// ManifestRepository against real temporary git repos: opening (or creating) the repo, and
// seeing the branch tip as it is now, even through the long-lived `git cat-file --batch`.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, git, removeAllFixtures } from '../support/gitFixture.js';
import { layoutFiles } from '../support/layout.js';
import { closeAll, committed, gitText, ok, openAdapter, plainBatchCheck, tempDir } from './support.js';

afterAll(async () => {
  await closeAll();
  await removeAllFixtures();
});

const AUTHOR = { name: 'Ana Lima', email: 'ana@example.com' };

describe('ManifestRepository.open()', () => {
  it('creates a bare repo on the branch when the path is missing', async () => {
    const path = join(await tempDir(), 'nested', 'manifest-repo');
    const repo = openAdapter(path, 'trunk');
    expect(await repo.open()).toEqual({ created: true, removedStaleFiles: [] });
    expect(gitText(path, ['rev-parse', '--is-bare-repository'])).toBe('true');
    expect(gitText(path, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/trunk');
    expect(await repo.readTip()).toBeNull();
  });

  it('creates a bare repo when the path is an empty directory', async () => {
    const path = await tempDir();
    const repo = openAdapter(path);
    expect(await repo.open()).toEqual({ created: true, removedStaleFiles: [] });
    expect(gitText(path, ['rev-parse', '--is-bare-repository'])).toBe('true');
    expect(gitText(path, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
  });

  it('can write the first commit into the repo it created, and read it back', async () => {
    const path = join(await tempDir(), 'repo');
    const repo = openAdapter(path);
    await repo.open();
    const commitId = await repo.commit({
      parent: null,
      changes: [
        { kind: 'file', path: 'environments/dev/config.json', content: '{"upstream":{"latest":true}}' },
      ],
      message: 'first',
      author: AUTHOR,
      time: new Date('2026-11-20T09:00:00Z'),
    });
    expect(gitText(path, ['rev-parse', 'refs/heads/main'])).toBe(commitId);
    expect(await repo.readTip()).toBe(commitId);
    const snapshot = await repo.readTipSnapshot();
    expect(ok(snapshot.environments.get('dev')!.config).upstream).toEqual({
      latest: true,
      environment: undefined,
    });
  });

  it('uses an existing non-bare repo as it is', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const before = fixture.tip();
    const repo = openAdapter(fixture.path);
    expect(await repo.open()).toEqual({ created: false, removedStaleFiles: [] });
    expect(gitText(fixture.path, ['rev-parse', '--is-bare-repository'])).toBe('false');
    expect(fixture.tip()).toBe(before);
    expect(await repo.readTip()).toBe(before);
    expect(fixture.git(['status', '--porcelain'])).toBe('');
  });

  it('uses an existing bare repo as it is', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const bare = join(await tempDir(), 'bare.git');
    git(fixture.path, ['clone', '--quiet', '--bare', fixture.path, bare]);
    const repo = openAdapter(bare);
    expect(await repo.open()).toEqual({ created: false, removedStaleFiles: [] });
    expect(await repo.readTip()).toBe(fixture.tip());
    expect((await repo.readTipSnapshot()).environments.has('dev')).toBe(true);
  });

  it('rejects a directory with files that is not a git repository', async () => {
    const path = await tempDir();
    writeFileSync(join(path, 'notes.txt'), 'not a repo');
    const repo = openAdapter(path);
    await expect(repo.open()).rejects.toThrow(/not a git repository/);
    expect(existsSync(join(path, 'HEAD'))).toBe(false);
  });

  it('rejects a path that is a file', async () => {
    const path = join(await tempDir(), 'file');
    writeFileSync(path, 'x');
    await expect(openAdapter(path).open()).rejects.toThrow(/not a directory/);
  });

  it('rejects a non-repo directory that is nested inside another repo’s work tree', async () => {
    // KNOWN BUG (reported): open() checks with `git rev-parse --git-dir`, which finds the enclosing
    // repository; the service would then read and write the branch of that other repository.
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const nested = join(fixture.path, 'not-a-repo');
    mkdirSync(nested);
    writeFileSync(join(nested, 'notes.txt'), 'not a repo');
    await expect(openAdapter(nested).open()).rejects.toThrow(/not a git repository/);
  });
});

describe('ManifestRepository.readTip()', () => {
  it('sees commits made outside the service at once, on the same instance', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const repo = openAdapter(fixture.path);
    const first = await repo.readTip();
    expect(first).toBe(fixture.tip());
    expect((await repo.readTipSnapshot()).environments.has('qa')).toBe(false);

    const second = fixture.commit({ 'environments/qa/config.json': '{"upstream":{"environment":"dev"}}' });
    expect(second).not.toBe(first);
    expect(await repo.readTip()).toBe(second);
    const snapshot = await repo.readTipSnapshot();
    expect(snapshot.commitId).toBe(second);
    expect(ok(snapshot.environments.get('qa')!.config).upstream).toEqual({
      latest: false,
      environment: 'dev',
    });

    const third = fixture.commit({}, { delete: ['environments/qa'] });
    expect(await repo.readTip()).toBe(third);
    expect((await repo.readTipSnapshot()).environments.has('qa')).toBe(false);
  });

  it('sees outside commits after git gc and pack-refs (packed refs and new packs)', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const repo = openAdapter(fixture.path);
    expect(await repo.readTip()).toBe(fixture.tip());

    const packed = fixture.commit({ 'environments/packed/config.json': '{"environmentGroup":"p"}' });
    fixture.git(['gc', '--quiet', '--prune=now']);
    fixture.git(['pack-refs', '--all', '--prune']);
    expect(existsSync(join(fixture.path, '.git', 'refs', 'heads', 'main'))).toBe(false);
    const packedRefs = join(fixture.path, '.git', 'packed-refs');
    const firstPacked = statSync(packedRefs);
    expect(await repo.readTip()).toBe(packed);
    expect(ok((await repo.readTipSnapshot()).environments.get('packed')!.config).environmentGroup).toBe('p');

    // A loose ref again, then packed again (in a later second than the packed-refs file read
    // before, set explicitly: see the next test for the same second), then moved backwards from
    // outside.
    const loose = fixture.commit({ 'environments/loose/config.json': '{"environmentGroup":"l"}' });
    expect(await repo.readTip()).toBe(loose);
    expect(ok((await repo.readTipSnapshot()).environments.get('loose')!.config).environmentGroup).toBe('l');
    fixture.git(['pack-refs', '--all', '--prune']);
    utimesSync(packedRefs, firstPacked.atime, new Date(firstPacked.mtimeMs + 2000));
    fixture.git(['gc', '--quiet', '--prune=now']);
    expect(existsSync(join(fixture.path, '.git', 'refs', 'heads', 'main'))).toBe(false);
    expect(await repo.readTip()).toBe(loose);
    fixture.git(['update-ref', 'refs/heads/main', packed]);
    expect(await repo.readTip()).toBe(packed);
    expect((await repo.readTipSnapshot()).environments.has('loose')).toBe(false);
  });

  it('sees a packed ref that changed within the same second as the packed-refs file it read before', async (context) => {
    // KNOWN BUG (reported): readTip resolves the branch inside the long-lived `git cat-file
    // --batch`, and git caches packed-refs in that process, revalidated only by stat (inode,
    // size, mtime/ctime in whole seconds with this git). When packed-refs is rewritten with the
    // same size in the same second and the file system reuses the inode (which `git pack-refs`
    // run twice does in a good share of runs), the process keeps answering the old tip, for as
    // long as the file is not changed again. Here the coincidence is made certain by rewriting
    // packed-refs in place; plain git shows the same stale answer (checked below).
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const before = fixture.tip();
    const after = fixture.commit({ 'environments/later/config.json': '{}' });
    const packedRefs = join(fixture.path, '.git', 'packed-refs');
    // The race needs the rewrite within the second packed-refs was written in: when a second
    // ends in between (rarely), it is all arranged again, rather than waiting for a new second.
    for (;;) {
      fixture.git(['update-ref', 'refs/heads/main', before]);
      fixture.git(['pack-refs', '--all', '--prune']);
      const stat = statSync(packedRefs);

      const plainGit = plainBatchCheck(fixture.path);
      const repo = openAdapter(fixture.path);
      try {
        expect(await plainGit.ask('refs/heads/main^{commit}')).toBe(before);
        expect(await repo.readTip()).toBe(before);

        // The branch moves from outside: packed-refs gets the new id, same inode, size and mtime.
        const descriptor = openSync(packedRefs, 'r+');
        writeSync(descriptor, readFileSync(packedRefs, 'utf8').replace(before, after), 0);
        closeSync(descriptor);
        utimesSync(packedRefs, stat.atime, stat.mtime);
        expect(gitText(fixture.path, ['rev-parse', 'refs/heads/main'])).toBe(after);
        const changed = statSync(packedRefs);
        if (Math.floor(changed.ctimeMs / 1000) !== Math.floor(stat.ctimeMs / 1000)) continue;
        if ((await plainGit.ask('refs/heads/main^{commit}')) === after) {
          context.skip('git on this machine notices the change; the race cannot be shown here');
        }

        expect(await repo.readTip()).toBe(after);
        return;
      } finally {
        plainGit.close();
      }
    }
  });

  it('sees its own commits and then outside commits on top of them', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const repo = openAdapter(fixture.path);
    const ours = committed(
      await repo.commit({
        parent: await repo.readTip(),
        changes: [{ kind: 'file', path: 'environments/ours/config.json', content: '{}' }],
        message: 'ours',
        author: AUTHOR,
        time: new Date('2026-11-20T09:00:00Z'),
      }),
    );
    expect(await repo.readTip()).toBe(ours);
    fixture.git(['reset', '--quiet', '--hard', ours]);
    const theirs = fixture.commit({ 'environments/theirs/config.json': '{}' });
    expect(gitText(fixture.path, ['rev-parse', `${theirs}^`])).toBe(ours);
    expect(await repo.readTip()).toBe(theirs);
    const snapshot = await repo.readTipSnapshot();
    expect([...snapshot.environments.keys()].sort()).toEqual(['dev', 'ours', 'theirs']);
  });

  it('is null for an unborn branch and for another branch name that has no commit', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    expect(await openAdapter(fixture.path, 'release').readTip()).toBeNull();
    expect(await openAdapter((await createFixtureRepo()).path).readTip()).toBeNull();
  });
});

describe('ManifestRepository.resolveTag()', () => {
  it('resolves lightweight and annotated tags to their commit, unknown tags to undefined', async () => {
    const fixture = await createFixtureRepo(layoutFiles({ environments: { dev: { config: {} } } }));
    const tagged = fixture.tip();
    fixture.git(['tag', 'light']);
    fixture.git(['tag', '-a', '-m', 'annotated', 'annotated']);
    fixture.commit({ 'environments/qa/config.json': '{}' });
    const repo = openAdapter(fixture.path);
    expect(await repo.resolveTag('light')).toBe(tagged);
    expect(await repo.resolveTag('annotated')).toBe(tagged);
    expect(await repo.resolveTag('refs/tags/light')).toBe(tagged);
    expect(await repo.resolveTag('no-such-tag')).toBeUndefined();
    // A tag created after the first read is seen too.
    fixture.git(['tag', 'later']);
    expect(await repo.resolveTag('later')).toBe(fixture.tip());
  });
});

describe('ManifestRepository.maintain()', () => {
  it('packs the loose objects and small packs that writes leave, keeps every object, and reads keep working', async () => {
    const path = join(await tempDir(), 'repo');
    const repo = openAdapter(path);
    await repo.open();
    let parent: string | null = null;
    for (let index = 0; index < 12; index++) {
      parent = await repo.commit({
        parent,
        changes: [{ kind: 'file', path: `environments/env-${index}/config.json`, content: `{"n":${index}}` }],
        message: `commit ${index}`,
        author: AUTHOR,
        time: new Date('2026-11-20T09:00:00Z'),
      });
    }
    const counted = (key: string) =>
      Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(gitText(path, ['count-objects', '-v']))?.[1]);
    // Each small fast-import write leaves loose objects (a big one, a pack).
    expect(counted('count')).toBeGreaterThan(12);
    const before = await repo.readTipSnapshot();

    await repo.maintain();

    expect(counted('count')).toBe(0);
    expect(counted('packs')).toBe(1);
    gitText(path, ['fsck', '--no-progress', '--strict']);
    expect(gitText(path, ['rev-list', '--count', 'main'])).toBe('12');
    // The long-lived reader still finds objects that moved into the new pack.
    const fresh = openAdapter(path);
    expect([...(await fresh.readTipSnapshot()).environments.keys()]).toEqual([...before.environments.keys()]);
    const configBlob = gitText(path, ['rev-parse', 'main:environments/env-0/config.json']);
    expect(await repo.readMetadataTexts([configBlob])).toEqual(
      new Map([[configBlob, { ok: true, text: '{"n":0}' }]]),
    );
  });
});
