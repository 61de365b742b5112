// The process as a user starts it: configuration from the environment, the embedded default.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWorkload } from '../bench/workload.js';
import { git } from './support/gitFixture.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = join(ROOT, 'src/server.ts');
// What `--import tsx` loads (the package's only export), by absolute URL since cwd is a temp dir.
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-server-'));
  dirs.push(dir);
  return dir;
}

function startServer(cwd: string, env: Record<string, string>) {
  // node with the tsx loader in one process (the tsx binary would leave its child behind on SIGKILL).
  const child = spawn(process.execPath, ['--import', TSX_LOADER, SERVER], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match =
        /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout) ??
        /Server listening at (http:\/\/[^\s"]+)/.exec(stdout);
      if (match?.[1]) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  // A test that expects the process to fail never awaits `listening`.
  listening.catch(() => {});
  return { child, exited, listening, output: () => ({ stdout, stderr }) };
}

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
    // Big enough that the train is still running when the signal arrives.
    await generateWorkload(repo, {
      name: 'shutdown',
      apps: 300,
      prodEnvironments: 6,
      releasesPerApp: 2,
      teams: 3,
    });
    const before = git(repo, ['rev-parse', 'main']).trim();
    const server = startServer(cwd, { MANIFEST_REPO_PATH: repo });
    const url = await server.listening;
    const train = fetch(`${url}/api/environment-groups/prod/releasetrain`, { method: 'PUT' });
    await new Promise((done) => setTimeout(done, 150));
    server.child.kill('SIGTERM');
    const response = await train;
    expect(response.status).toBe(200);
    const { commitId } = (await response.json()) as { commitId: string };
    expect(await server.exited).toBe(0);
    expect(git(repo, ['rev-parse', 'main']).trim()).toBe(commitId);
    expect(git(repo, ['rev-parse', 'main^']).trim()).toBe(before);
  }, 60_000);

  it('exits 0 on SIGTERM', async () => {
    const cwd = await tempDir();
    const server = startServer(cwd, {});
    await server.listening;
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
