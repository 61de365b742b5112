// Remote mode against a git server that holds objects git would not write itself: the fetch
// checks every object it brings (fetch.fsckObjects), so a malformed one fails the fetch with
// git's reason instead of entering the clone and failing every later read.
import { describe, expect, it } from 'vitest';
import { prepareClone } from '../../src/manifest/clone.js';
import { Remote } from '../../src/manifest/remote.js';
import { commitEdits, duplicateEntriesTree, treeEntry } from '../support/hostileGit.js';
import { layoutFiles } from '../support/layout.js';
import { createRemoteWorld } from '../support/remoteFixture.js';

describe('fetching from a git server that has a malformed object', () => {
  it('fails with git fsck saying why, and the clone keeps what it had', async () => {
    const world = await createRemoteWorld(
      layoutFiles({ environments: { dev: { config: { upstream: { latest: true } } } } }),
    );
    try {
      const remote = new Remote({
        repoPath: world.clonePath,
        url: world.url,
        branch: 'main',
        timeoutMs: 15_000,
      });
      await prepareClone(remote);
      const before = world.cloneTip();
      commitEdits(world.remotePath, [
        { path: ['environments', 'dev', 'locks'], entry: treeEntry(duplicateEntriesTree(world.remotePath)) },
      ]);
      const failure = await remote.fetch().catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'REMOTE_UNAVAILABLE' });
      expect((failure as Error).message).toMatch(/duplicateEntries/);
      expect(world.cloneTip()).toBe(before);
    } finally {
      await world.cleanup();
    }
  });

  it('refuses the first clone of such a branch', async () => {
    const world = await createRemoteWorld(
      layoutFiles({ environments: { dev: { config: { upstream: { latest: true } } } } }),
    );
    try {
      commitEdits(world.remotePath, [
        { path: ['environments', 'bad'], entry: treeEntry(duplicateEntriesTree(world.remotePath)) },
      ]);
      const remote = new Remote({
        repoPath: world.clonePath,
        url: world.url,
        branch: 'main',
        timeoutMs: 15_000,
      });
      await expect(prepareClone(remote)).rejects.toMatchObject({
        code: 'REMOTE_UNAVAILABLE',
        message: expect.stringMatching(/duplicateEntries/),
      });
    } finally {
      await world.cleanup();
    }
  });
});
