// What killed processes leave in a repository, cleaned at start by age alone: old lock files,
// temporary object files and scratch refs go, young ones (maybe of a process still running, here
// or in another container sharing the volume) stay.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STALE_LOCK_AGE_MS, STALE_TEMP_AGE_MS } from '../../src/manifest/staleFiles.js';
import { createFixtureRepo, GIT_ENV, removeAllFixtures } from '../support/gitFixture.js';
import { closeAll, openAdapter } from './support.js';

afterEach(async () => {
  await closeAll();
  await removeAllFixtures();
});

const MINUTE = 60_000;

/** A file as a killed process leaves it, `ageMs` old. */
function leave(gitDir: string, file: string, ageMs: number, content = ''): void {
  const path = join(gitDir, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

describe('the start-up cleanup of a local repository (open)', () => {
  it('removes old lock files, temporary objects and scratch refs, lists them, and keeps young ones and everything else', async () => {
    const fixture = await createFixtureRepo({ 'a.txt': 'one\n' });
    const gitDir = join(fixture.path, '.git');
    const tip = fixture.tip();
    // A scratch ref that maintenance packed: as old as its commit.
    const oldCommit = execFileSync(
      'git',
      ['-C', fixture.path, 'commit-tree', `${tip}^{tree}`, '-m', 'scratch'],
      {
        env: {
          ...GIT_ENV,
          GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
          GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
        },
        encoding: 'utf8',
      },
    ).trim();
    fixture.git(['update-ref', 'refs/trainyard/pending/packed-old', oldCommit]);
    fixture.git(['pack-refs', '--all']);

    const oldLock = STALE_LOCK_AGE_MS + MINUTE;
    const oldTemp = STALE_TEMP_AGE_MS + MINUTE;
    const stale = {
      'refs/heads/main.lock': oldLock,
      'packed-refs.lock': oldLock,
      'shallow.lock': oldLock,
      'refs/tags/v1.lock': oldLock,
      'objects/pack/tmp_pack_abc': oldTemp,
      'objects/pack/tmp_idx_abc': oldTemp,
      'objects/tmp_obj_abc': oldTemp,
      'objects/ab/tmp_obj_def': oldTemp,
      'refs/trainyard/pending/loose-old': oldLock,
    };
    const young = {
      'refs/heads/other.lock': STALE_LOCK_AGE_MS - MINUTE,
      'objects/pack/tmp_pack_young': STALE_LOCK_AGE_MS + MINUTE, // old for a lock, young for a pack
      'refs/trainyard/pending/loose-young': STALE_LOCK_AGE_MS - MINUTE,
    };
    for (const [file, age] of Object.entries({ ...stale, ...young })) {
      leave(gitDir, file, age, file.startsWith('refs/trainyard/') ? `${tip}\n` : '');
    }

    const opened = await openAdapter(fixture.path).open();

    expect(opened.created).toBe(false);
    expect([...opened.removedStaleFiles].sort()).toEqual(
      [...Object.keys(stale), 'refs/trainyard/pending/packed-old'].sort(),
    );
    for (const file of Object.keys(stale)) expect(existsSync(join(gitDir, file)), file).toBe(false);
    for (const file of Object.keys(young)) expect(existsSync(join(gitDir, file)), file).toBe(true);
    expect(fixture.git(['for-each-ref', '--format=%(refname)']).trim().split('\n')).toEqual([
      'refs/heads/main',
      'refs/trainyard/pending/loose-young',
    ]);
    expect(fixture.tip()).toBe(tip);
    fixture.git(['fsck', '--no-progress', '--no-dangling']);
  });

  it('finds nothing to do in a clean repository', async () => {
    const fixture = await createFixtureRepo({ 'a.txt': 'one\n' });
    expect(await openAdapter(fixture.path).open()).toEqual({ created: false, removedStaleFiles: [] });
  });
});
