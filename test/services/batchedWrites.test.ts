// Writes queued behind one another are written as a batch: one fast-import makes a chain of
// commits (one per write, each with its own message, author and trailers) and the branch moves
// once. Each caller gets its own answer: a write whose plan fails, or that changes nothing, is
// answered so and left out of the chain, and fails no other.
import { afterEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/auth/caller.js';
import { observeGitCommands } from '../../src/manifest/git.js';
import { createManifestRepository, type ManifestRepository } from '../../src/manifest/repository.js';
import { ManifestWriter } from '../../src/services/manifestWriter.js';
import { WriteQueue } from '../../src/services/writeQueue.js';
import { ManifestWrites, type RequestContext } from '../../src/services/writes.js';
import { createFixtureRepo, type FixtureRepo } from '../support/gitFixture.js';
import { layoutFiles } from '../support/layout.js';
import { expectTipSnapshotEqualsFullRead } from '../support/snapshotEquality.js';

const ALL = ['dev', 'prod'];
const WORLD = layoutFiles({
  apps: { checkout: { team: 'shop', releases: { 1: ALL } } },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 1 } },
    prod: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1 } },
  },
});
const TIME = new Date('2026-12-07T10:00:00.000Z');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function caller(name: string): Caller {
  return { name, email: `${name}@example.com`, groups: [], via: 'headers' };
}

function requestOf(name: string): RequestContext {
  return { caller: caller(name), requestId: `req-${name}` };
}

interface Setup {
  readonly fixture: FixtureRepo;
  readonly repo: ManifestRepository;
  readonly writer: ManifestWriter;
  readonly writes: ManifestWrites;
  /** Holds the queue until `release()`: the writes asked meanwhile wait, and go as one batch. */
  hold(): () => void;
  /** fast-import runs seen since the setup. */
  fastImports(): number;
}

async function setup(): Promise<Setup> {
  const fixture = await createFixtureRepo(WORLD);
  const repo = createManifestRepository({ path: fixture.path, branch: 'main' });
  const queue = new WriteQueue();
  const writer = new ManifestWriter(repo, queue, { clock: () => TIME });
  let fastImports = 0;
  const stop = observeGitCommands(({ repoPath, args }) => {
    if (repoPath === fixture.path && args.includes('fast-import')) fastImports++;
  });
  cleanups.push(
    () => fixture.cleanup(),
    () => repo.close(),
    stop,
  );
  await repo.readTipSnapshot();
  return {
    fixture,
    repo,
    writer,
    writes: new ManifestWrites(writer, repo),
    hold() {
      // The queue starts the task a moment later: release whenever that is.
      let resolve: () => void = () => {};
      const held = new Promise<void>((done) => {
        resolve = done;
      });
      void queue.run(() => held);
      return () => resolve();
    },
    fastImports: () => fastImports,
  };
}

describe('batched writes', () => {
  it('writes queued writes as a chain of commits, one per write with its own message and trailers, in one fast-import', async () => {
    const { fixture, repo, writes, hold, fastImports } = await setup();
    const before = fixture.tip();
    const release = hold();
    const names = ['ann', 'bob', 'cat', 'dan', 'eve'];
    const answers = names.map((name) =>
      writes.createLock(
        { kind: 'environment', environment: 'prod' },
        { lockId: `lock-${name}`, message: `by ${name}` },
        requestOf(name),
      ),
    );
    release();
    const results = await Promise.all(answers);

    expect(fastImports()).toBe(1);
    // The chain, oldest first: each write's commit on the one before it, the last one the tip.
    const chain = fixture
      .git(['rev-list', '--reverse', `${before}..main`])
      .trim()
      .split('\n');
    expect(results.map((result) => result.commitId)).toEqual(chain);
    expect(fixture.git(['rev-list', '--merges', `${before}..main`]).trim()).toBe('');
    for (const [index, name] of names.entries()) {
      const commit = chain[index] as string;
      expect(fixture.git(['log', '-1', '--format=%an <%ae>', commit]).trim()).toBe(
        `${name} <${name}@example.com>`,
      );
      const message = fixture.git(['log', '-1', '--format=%B', commit]);
      expect(message).toContain(`Created lock "lock-${name}"`);
      expect(message).toContain(`Request-Id: req-${name}`);
      // Each commit adds its own lock and nothing else.
      expect(
        fixture.git(['diff-tree', '-r', '--name-only', '--no-commit-id', commit]).trim().split('\n'),
      ).toEqual(expect.arrayContaining([`environments/prod/locks/lock-${name}/message`]));
      expect(
        fixture
          .git(['diff-tree', '-r', '--name-only', '--no-commit-id', commit])
          .trim()
          .split('\n')
          .every((path) => path.startsWith(`environments/prod/locks/lock-${name}/`)),
      ).toBe(true);
      expect(fixture.show(`environments/prod/locks/lock-${name}/message`)).toBe(`by ${name}`);
    }
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
    await expectTipSnapshotEqualsFullRead(repo, fixture.path, { kept: true });
  });

  it('answers each write whose plan fails with its own error, planned on the state the writes before it leave; the others are written', async () => {
    const { fixture, repo, writes, hold, fastImports } = await setup();
    const before = fixture.tip();
    const release = hold();
    const prod = { kind: 'environment', environment: 'prod' } as const;
    const first = writes.createLock(prod, { lockId: 'lock-a', message: 'first' }, requestOf('ann'));
    const unknown = writes.createLock(
      { kind: 'environment', environment: 'nowhere' },
      { lockId: 'lock-b', message: 'lost' },
      requestOf('bob'),
    );
    // Removes the lock the first write makes: planned on the state the first leaves.
    const removal = writes.deleteLock(prod, 'lock-a', requestOf('cat'));
    const absent = writes.deleteLock(prod, 'never-made', requestOf('dan'));
    const last = writes.createLock(prod, { lockId: 'lock-e', message: 'last' }, requestOf('eve'));
    release();

    await expect(unknown).rejects.toMatchObject({ code: 'ENVIRONMENT_NOT_FOUND' });
    await expect(absent).rejects.toMatchObject({ code: 'LOCK_NOT_FOUND' });
    const [a, removed, e] = await Promise.all([first, removal, last]);
    expect(fastImports()).toBe(1);
    const chain = fixture
      .git(['rev-list', '--reverse', `${before}..main`])
      .trim()
      .split('\n');
    expect([a.commitId, removed.commitId, e.commitId]).toEqual(chain);
    expect(fixture.modeOf('environments/prod/locks/lock-a/message')).toBeUndefined();
    expect(fixture.show('environments/prod/locks/lock-e/message')).toBe('last');
    await expectTipSnapshotEqualsFullRead(repo, fixture.path, { kept: true });
  });

  it('leaves a write out of the chain whose commit would not change the tree, and answers it without a commit', async () => {
    const { fixture, writes, hold } = await setup();
    const prod = { kind: 'environment', environment: 'prod' } as const;
    const lock = { lockId: 'same', message: 'same' };
    const made = await writes.createLock(prod, lock, requestOf('ann'));
    expect(made.commitId).toBe(fixture.tip());
    const release = hold();
    const again = writes.createLock(prod, lock, requestOf('ann'));
    const other = writes.createLock(prod, { lockId: 'other', message: 'other' }, requestOf('bob'));
    release();
    expect((await again).commitId).toBeNull();
    const written = await other;
    expect(written.commitId).toBe(fixture.tip());
    expect(fixture.git(['rev-parse', 'main^']).trim()).toBe(made.commitId);
  });

  it('writes each write of a chain that git refuses on its own: only the write that git cannot take fails', async () => {
    const { fixture, repo, writer, writes, hold } = await setup();
    const before = fixture.tip();
    const release = hold();
    const prod = { kind: 'environment', environment: 'prod' } as const;
    const first = writes.createLock(prod, { lockId: 'lock-a', message: 'first' }, requestOf('ann'));
    // A file by the id of a blob the repo does not have: fast-import refuses the whole stream.
    const broken = writer.write(
      caller('bob'),
      () => ({
        changes: [{ kind: 'blob', path: 'environments/prod/locks/lock-b/message', oid: '1'.repeat(40) }],
        message: 'a blob that is not there',
        result: 'broken',
      }),
      { batchable: true },
    );
    const last = writes.createLock(prod, { lockId: 'lock-c', message: 'last' }, requestOf('cat'));
    release();

    await expect(broken).rejects.toThrow(/fast-import/);
    const [a, c] = await Promise.all([first, last]);
    expect(
      fixture
        .git(['rev-list', '--reverse', `${before}..main`])
        .trim()
        .split('\n'),
    ).toEqual([a.commitId, c.commitId]);
    expect(fixture.modeOf('environments/prod/locks/lock-b/message')).toBeUndefined();
    expect(fixture.git(['for-each-ref', 'refs/trainyard/'])).toBe('');
    await expectTipSnapshotEqualsFullRead(repo, fixture.path, { kept: true });
  });
});
