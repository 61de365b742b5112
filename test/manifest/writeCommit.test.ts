// Writing one commit (writeCommit / ManifestRepository.commit) into real temporary git repos,
// checked with plain git (manifest-repo.md, "Writing rules").
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RefConflictError, RefLockedError } from '../../src/domain/errors.js';
import { ERROR_STATUS } from '../../src/http/errorStatus.js';
import { GitCommandError, SERVICE_IDENTITY } from '../../src/manifest/git.js';
import { createCommit, moveRefs, writeCommit } from '../../src/manifest/writeCommit.js';
import { createFixtureRepo, removeAllFixtures } from '../support/gitFixture.js';
import { layoutFiles, manifestContent } from '../support/layout.js';
import {
  blobBytes,
  closeAll,
  committed,
  gitText,
  ok,
  openAdapter,
  tempDir,
  workTreeState,
} from './support.js';

afterAll(async () => {
  await closeAll();
  await removeAllFixtures();
});

const AUTHOR = { name: 'Ana Lima', email: 'ana@example.com' };
const TIME = new Date('2026-11-20T09:30:15.789Z');
const TIME_SECONDS = Math.floor(TIME.getTime() / 1000);

async function layoutFixture() {
  return createFixtureRepo(
    layoutFiles({
      environments: {
        development: {
          config: { upstream: { latest: true } },
          deployed: { checkout: 1 },
          locks: { 'old-lock': { message: 'to be removed' } },
        },
      },
      apps: { checkout: { team: 'payments', releases: { 1: ['development'], 2: ['development'] } } },
    }),
  );
}

function revCount(repoPath: string, ref = 'refs/heads/main'): number {
  return Number(gitText(repoPath, ['rev-list', '--count', ref]));
}

describe('ManifestRepository.commit', () => {
  it('makes exactly one new commit whose only parent is the given tip', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const parent = await repo.readTip();
    const commitsBefore = revCount(fixture.path);
    const commitId = committed(
      await repo.commit({
        parent,
        changes: [{ kind: 'file', path: 'environments/qa/config.json', content: '{}\n' }],
        message: 'add qa',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(fixture.tip()).toBe(commitId);
    expect(revCount(fixture.path)).toBe(commitsBefore + 1);
    expect(gitText(fixture.path, ['log', '-1', '--format=%P', commitId])).toBe(parent);
  });

  it('records the author given, the service as committer, and the given time as the commit date', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const commitId = committed(
      await repo.commit({
        parent: await repo.readTip(),
        changes: [{ kind: 'file', path: 'environments/qa/config.json', content: '{}' }],
        message: "Release Train to environment/environment group 'qa':\n\nbody line\n\nRequest-Id: r-1",
        author: AUTHOR,
        time: TIME,
      }),
    );
    const [authorName, authorEmail, committerName, committerEmail, authorTime, commitTime, commitIso] =
      gitText(fixture.path, ['log', '-1', '--format=%an%n%ae%n%cn%n%ce%n%at%n%ct%n%cI', commitId]).split(
        '\n',
      );
    expect({ authorName, authorEmail }).toEqual({ authorName: 'Ana Lima', authorEmail: 'ana@example.com' });
    expect({ committerName, committerEmail }).toEqual({
      committerName: 'Trainyard',
      committerEmail: SERVICE_IDENTITY.email,
    });
    expect(Number(authorTime)).toBe(TIME_SECONDS);
    expect(Number(commitTime)).toBe(TIME_SECONDS);
    expect(commitIso).toBe('2026-11-20T09:30:15+00:00');
    expect(gitText(fixture.path, ['log', '-1', '--format=%B', commitId])).toBe(
      "Release Train to environment/environment group 'qa':\n\nbody line\n\nRequest-Id: r-1",
    );
    expect(
      gitText(fixture.path, ['log', '-1', '--format=%(trailers:key=Request-Id,valueonly)', commitId]),
    ).toBe('r-1');
  });

  it('writes files with the exact bytes given (no newline added, UTF-8 and binary kept)', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const binary = Buffer.from([0x00, 0xff, 0x0a, 0x0d, 0x0a, 0x80, 0x20]);
    const commitId = committed(
      await repo.commit({
        parent: await repo.readTip(),
        changes: [
          {
            kind: 'file',
            path: 'environments/development/locks/new-lock/message',
            content: 'Zoë: «no deploys»',
          },
          { kind: 'file', path: 'environments/development/locks/new-lock/created_at', content: '' },
          {
            kind: 'file',
            path: 'applications/checkout/releases/3/environments/development/manifests.yaml',
            content: binary,
          },
          {
            kind: 'file',
            path: 'environments/development/config.json',
            content: '{"upstream":{"latest":true}}\r\n',
          },
        ],
        message: 'files',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(blobBytes(fixture.path, commitId, 'environments/development/locks/new-lock/message')).toEqual(
      Buffer.from('Zoë: «no deploys»', 'utf8'),
    );
    expect(blobBytes(fixture.path, commitId, 'environments/development/locks/new-lock/created_at')).toEqual(
      Buffer.alloc(0),
    );
    expect(
      blobBytes(
        fixture.path,
        commitId,
        'applications/checkout/releases/3/environments/development/manifests.yaml',
      ),
    ).toEqual(binary);
    expect(blobBytes(fixture.path, commitId, 'environments/development/config.json')).toEqual(
      Buffer.from('{"upstream":{"latest":true}}\r\n'),
    );
    expect(fixture.modeOf('environments/development/locks/new-lock/message', commitId)).toBe('100644 blob');
  });

  it('stores symlinks as mode 120000 blobs with the exact target, and replaces an existing one', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const version = 'environments/development/applications/checkout/version';
    const commitId = committed(
      await repo.commit({
        parent: await repo.readTip(),
        changes: [
          { kind: 'symlink', path: version, target: '../../../../applications/checkout/releases/2' },
          {
            kind: 'symlink',
            path: 'environments/development/applications/checkout/queued_version',
            target: '../../../../applications/checkout/releases/2',
          },
        ],
        message: 'symlinks',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(fixture.modeOf(version, commitId)).toBe('120000 blob');
    expect(fixture.show(version, commitId)).toBe('../../../../applications/checkout/releases/2');
    expect(blobBytes(fixture.path, commitId, version)).toEqual(
      Buffer.from('../../../../applications/checkout/releases/2'),
    );
    // And the adapter reads back what it wrote.
    const app = (await repo.readTipSnapshot()).environments.get('development')!.applications.get('checkout')!;
    expect(ok(app.deployedVersion)).toBe(2);
    expect(ok(app.queuedVersion)).toBe(2);
  });

  it('reuses an existing blob for a blob change (same id, mode 100644)', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const source = 'applications/checkout/releases/2/environments/development/manifests.yaml';
    const oid = gitText(fixture.path, ['rev-parse', `HEAD:${source}`]);
    const target = 'environments/development/applications/checkout/manifests/manifests.yaml';
    const commitId = committed(
      await repo.commit({
        parent: await repo.readTip(),
        changes: [{ kind: 'blob', path: target, oid }],
        message: 'blob',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(gitText(fixture.path, ['rev-parse', `${commitId}:${target}`])).toBe(oid);
    expect(fixture.modeOf(target, commitId)).toBe('100644 blob');
    expect(fixture.show(target, commitId)).toBe(manifestContent('checkout', 2, 'development'));
  });

  it('deletes a file and a whole directory, and changes nothing else', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const parent = (await repo.readTip())!;
    const commitId = committed(
      await repo.commit({
        parent,
        changes: [
          { kind: 'delete', path: 'environments/development/locks/old-lock' },
          { kind: 'delete', path: 'environments/development/applications/checkout/deployed_by' },
          { kind: 'file', path: 'environments/development/applications/checkout/deployed_by', content: 'Bo' },
          { kind: 'delete', path: 'environments/development/applications/checkout/deployed_by_email' },
        ],
        message: 'deletes',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(fixture.modeOf('environments/development/locks/old-lock/message', commitId)).toBeUndefined();
    expect(fixture.modeOf('environments/development/locks', commitId)).toBeUndefined();
    expect(
      fixture.modeOf('environments/development/applications/checkout/deployed_by_email', commitId),
    ).toBeUndefined();
    expect(fixture.show('environments/development/applications/checkout/deployed_by', commitId)).toBe('Bo');
    const changed = gitText(fixture.path, ['diff', '--name-status', '--no-renames', parent, commitId])
      .split('\n')
      .sort();
    expect(changed).toEqual([
      'D\tenvironments/development/applications/checkout/deployed_by_email',
      'D\tenvironments/development/locks/old-lock/created_at',
      'D\tenvironments/development/locks/old-lock/created_by_email',
      'D\tenvironments/development/locks/old-lock/created_by_name',
      'D\tenvironments/development/locks/old-lock/message',
      'M\tenvironments/development/applications/checkout/deployed_by',
    ]);
    expect(ok((await repo.readTipSnapshot()).environments.get('development')!.locks).size).toBe(0);
  });

  it('does not touch the work tree or the index of a non-bare repo', async () => {
    const fixture = await layoutFixture();
    // An uncommitted change in the work tree must survive as it is, too.
    writeFileSync(join(fixture.path, 'environments/development/config.json'), '{"local":"edit"}');
    mkdirSync(join(fixture.path, 'untracked'));
    writeFileSync(join(fixture.path, 'untracked/file'), 'x');
    const workTree = workTreeState(fixture.path);
    const index = readFileSync(join(fixture.path, '.git', 'index'));
    const indexTime = statSync(join(fixture.path, '.git', 'index')).mtimeMs;
    const repo = openAdapter(fixture.path);
    await repo.commit({
      parent: await repo.readTip(),
      changes: [
        { kind: 'file', path: 'environments/qa/config.json', content: '{}' },
        { kind: 'delete', path: 'environments/development/locks/old-lock' },
        {
          kind: 'symlink',
          path: 'environments/development/applications/checkout/version',
          target: '../../../../applications/checkout/releases/2',
        },
      ],
      message: 'behind the work tree',
      author: AUTHOR,
      time: TIME,
    });
    expect(workTreeState(fixture.path)).toEqual(workTree);
    expect(readFileSync(join(fixture.path, '.git', 'index'))).toEqual(index);
    expect(statSync(join(fixture.path, '.git', 'index')).mtimeMs).toBe(indexTime);
    expect(gitText(fixture.path, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
  });

  it('writes the first commit of an unborn branch (parent null), with no parent', async () => {
    const fixture = await createFixtureRepo();
    const repo = openAdapter(fixture.path);
    expect(await repo.readTip()).toBeNull();
    const commitId = committed(
      await repo.commit({
        parent: null,
        changes: [{ kind: 'file', path: 'environments/dev/config.json', content: '{}' }],
        message: 'first',
        author: AUTHOR,
        time: TIME,
      }),
    );
    expect(fixture.tip()).toBe(commitId);
    expect(revCount(fixture.path)).toBe(1);
    expect(gitText(fixture.path, ['log', '-1', '--format=%P', commitId])).toBe('');
    expect(gitText(fixture.path, ['ls-tree', '-r', '--name-only', commitId])).toBe(
      'environments/dev/config.json',
    );
    expect(await repo.readTip()).toBe(commitId);
  });

  it('writes into a bare repo, and with writeCommit directly on another branch', async () => {
    const path = join(await tempDir(), 'bare');
    const repo = openAdapter(path, 'trunk');
    await repo.open();
    const first = committed(
      await repo.commit({
        parent: null,
        changes: [{ kind: 'file', path: 'a', content: '1' }],
        message: 'one',
        author: AUTHOR,
        time: TIME,
      }),
    );
    const second = committed(
      await writeCommit(path, {
        ref: 'refs/heads/trunk',
        parent: first,
        changes: [{ kind: 'file', path: 'b', content: '2' }],
        message: 'two',
        author: AUTHOR,
        committer: { name: 'Other Service', email: 'other@example.com' },
        time: TIME,
      }),
    );
    expect(gitText(path, ['rev-parse', 'refs/heads/trunk'])).toBe(second);
    expect(gitText(path, ['log', '--format=%s %cn', 'trunk'])).toBe('two Other Service\none Trainyard');
    expect(gitText(path, ['ls-tree', '--name-only', second])).toBe('a\nb');
  });

  it('leaves no scratch ref under refs/trainyard/ after a commit', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    await repo.commit({
      parent: await repo.readTip(),
      changes: [{ kind: 'file', path: 'x', content: 'x' }],
      message: 'x',
      author: AUTHOR,
      time: TIME,
    });
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
  });
});

describe('compare-and-swap on the branch', () => {
  it('rejects with RefConflictError when the branch moved after the tip was read, overwriting nothing', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const planned = await repo.readTip();
    const outside = fixture.commit({ 'environments/outside/config.json': '{}' }, { message: 'outside' });
    const attempt = repo.commit({
      parent: planned,
      changes: [{ kind: 'file', path: 'environments/ours/config.json', content: '{}' }],
      message: 'ours',
      author: AUTHOR,
      time: TIME,
    });
    await expect(attempt).rejects.toBeInstanceOf(RefConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'REPO_BUSY' });
    expect(ERROR_STATUS.REPO_BUSY).toBe(503);
    expect(fixture.tip()).toBe(outside);
    expect(gitText(fixture.path, ['log', '-1', '--format=%s'])).toBe('outside');
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
    expect(await repo.readTip()).toBe(outside);
    expect((await repo.readTipSnapshot()).environments.has('ours')).toBe(false);
  });

  it('rejects a first commit (parent null) when the branch got a commit in the meantime', async () => {
    const fixture = await createFixtureRepo();
    const repo = openAdapter(fixture.path);
    const outside = fixture.commit({ 'environments/outside/config.json': '{}' });
    await expect(
      repo.commit({
        parent: null,
        changes: [{ kind: 'file', path: 'environments/ours/config.json', content: '{}' }],
        message: 'ours',
        author: AUTHOR,
        time: TIME,
      }),
    ).rejects.toBeInstanceOf(RefConflictError);
    expect(fixture.tip()).toBe(outside);
    expect(revCount(fixture.path)).toBe(1);
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
  });

  it('lets exactly one of two writers planned on the same tip win', async () => {
    const fixture = await layoutFixture();
    const first = openAdapter(fixture.path);
    const second = openAdapter(fixture.path);
    const planned = await first.readTip();
    const commit = async (repo: typeof first, env: string) =>
      committed(
        await repo.commit({
          parent: planned,
          changes: [{ kind: 'file', path: `environments/${env}/config.json`, content: '{}' }],
          message: env,
          author: AUTHOR,
          time: TIME,
        }),
      );
    const winner = await commit(first, 'one');
    await expect(commit(second, 'two')).rejects.toBeInstanceOf(RefConflictError);
    expect(fixture.tip()).toBe(winner);
    expect(gitText(fixture.path, ['log', '-1', '--format=%P', winner])).toBe(planned);
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
  });
  it('lets exactly one of several concurrent commits on the same tip win; the others are RefConflictError', async () => {
    const fixture = await layoutFixture();
    const repo = openAdapter(fixture.path);
    const planned = await repo.readTip();
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) =>
        repo.commit({
          parent: planned,
          changes: [{ kind: 'file', path: `environments/env-${n}/config.json`, content: '{}' }],
          message: `writer ${n}`,
          author: AUTHOR,
          time: TIME,
        }),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const result of lost) expect(result.reason).toBeInstanceOf(RefConflictError);
    expect(fixture.tip()).toBe(won[0]!.value);
    expect(gitText(fixture.path, ['log', '-1', '--format=%P'])).toBe(planned);
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
  });

  it('a lock file in the way is RefLockedError (retry) for a compare-and-swap, but not for a move without one (after a push: something was written)', async () => {
    const fixture = await layoutFixture();
    const tip = fixture.tip();
    writeFileSync(join(fixture.path, '.git/refs/heads/main.lock'), '');
    const commit = (await createCommit(fixture.path, {
      ref: 'refs/heads/main',
      parent: tip,
      changes: [{ kind: 'file', path: 'environments/x/config.json', content: '{}' }],
      message: 'm',
      author: AUTHOR,
      committer: SERVICE_IDENTITY,
      time: TIME,
    })) as string;

    const swap = moveRefs(fixture.path, { ref: 'refs/heads/main', parent: tip, commitId: commit });
    await expect(swap).rejects.toBeInstanceOf(RefLockedError);
    await expect(swap).rejects.toMatchObject({ lockFile: 'refs/heads/main.lock' });
    const follow = moveRefs(fixture.path, { ref: 'refs/heads/main', parent: undefined, commitId: commit });
    await expect(follow).rejects.toBeInstanceOf(GitCommandError);
    expect(fixture.tip()).toBe(tip);
  });
});

describe('independence from the machine’s git configuration', () => {
  async function withHome<T>(home: string, run: () => Promise<T>): Promise<T> {
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = join(home, '.config');
    try {
      return await run();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  it('commits and reads with HOME pointed at an empty directory (no identity configured)', async () => {
    const fixture = await layoutFixture();
    // No identity in the repo's own config either.
    fixture.git(['config', '--unset', 'user.name']);
    fixture.git(['config', '--unset', 'user.email']);
    const home = await tempDir('trainyard-empty-home-');
    const commitId = await withHome(home, async () => {
      const repo = openAdapter(fixture.path);
      const parent = await repo.readTip();
      const id = committed(
        await repo.commit({
          parent,
          changes: [{ kind: 'file', path: 'environments/qa/config.json', content: '{}' }],
          message: 'with an empty HOME',
          author: AUTHOR,
          time: TIME,
        }),
      );
      expect((await repo.readTipSnapshot()).environments.has('qa')).toBe(true);
      return id;
    });
    expect(fixture.tip()).toBe(commitId);
    expect(gitText(fixture.path, ['log', '-1', '--format=%an <%ae> / %cn <%ce>'])).toBe(
      `Ana Lima <ana@example.com> / Trainyard <${SERVICE_IDENTITY.email}>`,
    );
  });

  it('ignores a hostile global git config in HOME and XDG_CONFIG_HOME', async () => {
    const fixture = await layoutFixture();
    const home = await tempDir('trainyard-hostile-home-');
    const hostile = [
      '[user]',
      '\tname = Global Person',
      '\temail = global@example.com',
      '\tuseConfigOnly = true',
      '[commit]',
      '\tgpgSign = true',
      '[gpg]',
      '\tprogram = /bin/false',
      '[core]',
      '\tautocrlf = true',
      '\tsymlinks = false',
      `\thooksPath = ${join(home, 'hooks')}`,
      '[init]',
      '\tdefaultBranch = hostile',
      '',
    ].join('\n');
    // A hook that refuses every ref update: leaked global config would make the commit fail.
    mkdirSync(join(home, 'hooks'));
    writeFileSync(join(home, 'hooks', 'reference-transaction'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    writeFileSync(join(home, '.gitconfig'), hostile);
    mkdirSync(join(home, '.config', 'git'), { recursive: true });
    writeFileSync(join(home, '.config', 'git', 'config'), hostile);
    const created = join(home, 'created-repo');
    // Control: plain git that reads this HOME is refused by the hook.
    expect(() =>
      execFileSync('git', ['-C', fixture.path, 'update-ref', 'refs/heads/control', 'HEAD'], {
        env: { PATH: process.env.PATH, HOME: home },
        stdio: 'pipe',
      }),
    ).toThrow(/aborted by hook/);
    await withHome(home, async () => {
      const repo = openAdapter(fixture.path);
      await repo.commit({
        parent: await repo.readTip(),
        changes: [
          { kind: 'file', path: 'crlf', content: 'a\nb\n' },
          { kind: 'symlink', path: 'link', target: '../x' },
        ],
        message: 'hostile config',
        author: AUTHOR,
        time: TIME,
      });
      const fresh = openAdapter(created);
      expect(await fresh.open()).toEqual({ created: true, removedStaleFiles: [] });
    });
    expect(gitText(fixture.path, ['log', '-1', '--format=%an / %cn / %G?'])).toBe('Ana Lima / Trainyard / N');
    expect(blobBytes(fixture.path, 'HEAD', 'crlf')).toEqual(Buffer.from('a\nb\n'));
    expect(fixture.modeOf('link')).toBe('120000 blob');
    expect(gitText(created, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
  });
});
