// The service refuses, at start and with a clear message, a git too old for what it runs.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGitVersion } from '../src/manifest/gitVersion.js';
import { killAllServices, startService } from './support/serviceProcess.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the git version', () => {
  it('is read from what git --version prints, on every platform', () => {
    expect(parseGitVersion('git version 2.39.5')).toEqual([2, 39]);
    expect(parseGitVersion('git version 2.45.1 (Apple Git-154)')).toEqual([2, 45]);
    expect(parseGitVersion('git version 2.47.0.windows.2')).toEqual([2, 47]);
    expect(parseGitVersion('not git')).toBeUndefined();
  });

  it('older than 2.36 stops the service at start with a message saying what it found', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trainyard-old-git-'));
    dirs.push(dir);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'git'), '#!/bin/sh\necho "git version 2.30.2"\n');
    await chmod(join(bin, 'git'), 0o755);
    const server = startService(dir, { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(await server.exited).toBe(1);
    expect(server.output().stderr).toContain(
      'git 2.36 or newer is needed; this machine has git version 2.30.2',
    );
  });
});
