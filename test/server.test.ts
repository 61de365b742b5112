// The process as a user starts it: configuration from the environment, the embedded default.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWorkload } from '../bench/workload.js';
import { git } from './support/gitFixture.js';
import { waitUntil } from './support/processes.js';
import { killAllServices, startService } from './support/serviceProcess.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-server-'));
  dirs.push(dir);
  return dir;
}

const startServer = startService;

describe('server process', () => {
  it('starts on the embedded default: creates ./data/manifest-repo with the demo and serves a prognosis', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, {});
    const url = await server.listening;
    const response = await fetch(`${url}/api/environment-groups/prod/releasetrain/prognosis`);
    expect(response.status).toBe(200);
    const { envsPrognoses } = (await response.json()) as { envsPrognoses: Record<string, unknown> };
    expect(Object.keys(envsPrognoses)).toEqual(['prod-de', 'prod-fr', 'prod-us']);
    const repoPath = join(cwd, 'data/manifest-repo');
    expect(git(repoPath, ['rev-parse', '--is-bare-repository']).trim()).toBe('true');
    expect(git(repoPath, ['rev-list', '--count', 'main']).trim()).toBe('1');
    expect(git(repoPath, ['ls-tree', '--name-only', 'main', 'environments/']).trim().split('\n')).toEqual([
      'environments/dev',
      'environments/prod-de',
      'environments/prod-fr',
      'environments/prod-us',
      'environments/staging',
    ]);
  });

  it('never seeds a configured MANIFEST_REPO_PATH', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, { MANIFEST_REPO_PATH: join(cwd, 'mine') });
    const url = await server.listening;
    expect((await fetch(`${url}/api/environments/dev/releasetrain/prognosis`)).status).toBe(404);
    expect(git(join(cwd, 'mine'), ['for-each-ref']).trim()).toBe('');
  });

  it('stops at start with a message naming a bad variable', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, { PORT: 'eighty', MANIFEST_REPO_BRANCH: 'a..b' });
    expect(await server.exited).toBe(1);
    expect(server.output().stderr).toContain('PORT');
    expect(server.output().stderr).toContain('MANIFEST_REPO_BRANCH');
  });

  it('refuses a MANIFEST_REPO_URL git could read as an option, and exits 1 with the reason of git when the remote cannot be cloned', async () => {
    const cwd = await tempDir();
    const option = startServer(cwd, { MANIFEST_REPO_URL: '--upload-pack=touch /tmp/pwned' });
    expect(await option.exited).toBe(1);
    expect(option.output().stderr).toContain('MANIFEST_REPO_URL');
    const unreachable = startServer(cwd, {
      MANIFEST_REPO_URL: `file://${join(cwd, 'no-such-remote.git')}`,
      MANIFEST_REPO_PATH: join(cwd, 'clone'),
    });
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.output().stderr).toContain('does not appear to be a git repository');
  });

  it('answers a client that never finishes its headers 408 REQUEST_TIMEOUT and closes it, after HTTP_HEADERS_TIMEOUT_SECONDS', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, { HTTP_HEADERS_TIMEOUT_SECONDS: '1' });
    const { hostname, port } = new URL(await server.listening);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.write('GET /api/overview HTTP/1.1\r\n'));
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(received));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
  });

  it('refuses an HTTP_HEADERS_TIMEOUT_SECONDS above HTTP_REQUEST_TIMEOUT_SECONDS', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, {
      HTTP_HEADERS_TIMEOUT_SECONDS: '60',
      HTTP_REQUEST_TIMEOUT_SECONDS: '30',
    });
    expect(await server.exited).toBe(1);
    expect(server.output().stderr).toContain('HTTP_HEADERS_TIMEOUT_SECONDS');
    expect(server.output().stderr).toContain('HTTP_REQUEST_TIMEOUT_SECONDS');
  });

  it('refuses to listen on a non-loopback address without authentication', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, { HOST: '0.0.0.0' });
    expect(await server.exited).toBe(1);
    expect(server.output().stderr).toContain('AUTH_ALLOW_UNAUTHENTICATED');
  });

  it('listens there when told to, with a warning', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, { HOST: '0.0.0.0', AUTH_ALLOW_UNAUTHENTICATED: 'true' });
    await expect(server.listening).resolves.toMatch(/^http:/);
    expect(server.output().stdout).toContain('AUTH_MODE=none on a non-loopback address');
  });

  it('finishes a train in flight on SIGTERM and exits 0', async () => {
    const cwd = await tempDir();
    const repo = join(cwd, 'repo');
    await generateWorkload(repo, {
      name: 'shutdown',
      apps: 12,
      prodEnvironments: 3,
      releasesPerApp: 2,
      teams: 3,
    });
    // The train's compare-and-swap of the branch waits in git's reference-transaction hook until
    // the test lets it go: the signal lands while the train is certainly in flight.
    const holding = join(cwd, 'holding');
    const go = join(cwd, 'go');
    const hook = join(repo, 'hooks', 'reference-transaction');
    await writeFile(
      hook,
      [
        '#!/bin/sh',
        'refs=$(cat)',
        `if [ "$1" = prepared ] && printf '%s\\n' "$refs" | grep -q ' refs/heads/main$'; then`,
        `  : > '${holding}'`,
        `  while [ ! -e '${go}' ]; do sleep 0.01; done`,
        'fi',
        '',
      ].join('\n'),
    );
    await chmod(hook, 0o755);
    const before = git(repo, ['rev-parse', 'main']).trim();
    const server = startServer(cwd, { MANIFEST_REPO_PATH: repo });
    const url = await server.listening;
    const train = fetch(`${url}/api/environment-groups/prod/releasetrain`, { method: 'PUT' });
    await waitUntil(() => existsSync(holding));
    server.child.kill('SIGTERM');
    await server.logLine(/"msg":"stopping"/);
    await writeFile(go, '');
    const response = await train;
    expect(response.status).toBe(200);
    const { commitId } = (await response.json()) as { commitId: string };
    expect(await server.exited).toBe(0);
    expect(git(repo, ['rev-parse', 'main']).trim()).toBe(commitId);
    expect(git(repo, ['rev-parse', 'main^']).trim()).toBe(before);
  });

  it('exits 0 on SIGTERM', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, {});
    await server.listening;
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
