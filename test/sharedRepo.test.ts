// Two service processes on one local repository (the README allows it): each process queues its
// own writes, and the two race each other on the branch's compare-and-swap.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWorkload } from '../bench/workload.js';
import { gitEnvironment } from '../src/manifest/git.js';
import { killAllServices, startService } from './support/serviceProcess.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { env: gitEnvironment(), encoding: 'utf8' });
}

describe('two service processes sharing one local repo', () => {
  it('30 concurrent writes split between them all succeed, each exactly once on a linear branch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trainyard-shared-'));
    dirs.push(dir);
    const repo = join(dir, 'repo');
    const start = (
      await generateWorkload(repo, {
        name: 'shared',
        apps: 4,
        prodEnvironments: 2,
        releasesPerApp: 1,
        teams: 2,
      })
    ).trim();
    const bases = await Promise.all(
      ['a', 'b'].map(() => startService(dir, { MANIFEST_REPO_PATH: repo }).listening),
    );

    const requestIds = Array.from({ length: 30 }, (_, index) => `shared-${index}`);
    const answers = await Promise.all(
      requestIds.map(async (requestId, index) => {
        const base = bases[index % 2] as string;
        const response = await fetch(`${base}/api/environments/dev/locks/${requestId}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({ message: `held by ${requestId}` }),
        });
        return { requestId, status: response.status, body: await response.text() };
      }),
    );

    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    const log = git(repo, ['log', '--format=%(trailers:key=Request-Id,valueonly)', `${start}..main`]);
    const logged = log.split('\n').filter(Boolean).sort();
    expect(logged).toEqual([...requestIds].sort());
    expect(git(repo, ['rev-list', '--merges', 'main']).trim()).toBe('');
    expect(git(repo, ['rev-list', '--count', `${start}..main`]).trim()).toBe('30');
    expect(
      git(repo, ['ls-tree', '--name-only', 'main', 'environments/dev/locks/']).trim().split('\n'),
    ).toHaveLength(30);
  }, 60_000);
});
