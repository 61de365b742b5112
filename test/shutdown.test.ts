// Stopping the service as an orchestrator does, with a real process: SIGTERM while a push hangs
// (the write is answered before the process exits 0), an exit on an unexpected error, a SIGKILL;
// and after each, no git process the service started is left running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWorkload } from '../bench/workload.js';
import { loadConfig } from '../src/config.js';
import { shutdownGraceMs } from '../src/shutdownGrace.js';
import { startGitDaemon, startProxy } from './support/gitDaemon.js';
import { descendantsOf, processesIn, stillRunning, waitUntil } from './support/processes.js';
import { killAllServices, startService } from './support/serviceProcess.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WORLD = { name: 'shutdown', apps: 3, prodEnvironments: 1, releasesPerApp: 1, teams: 1 };
const RAISE_ON_SIGWINCH = new URL('./support/raiseOnSignal.mjs', import.meta.url).pathname;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-shutdown-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A remote behind a proxy that can hang, and the settings of a service that clones it. */
async function hangableRemote(dir: string, timeoutSeconds: number) {
  await generateWorkload(join(dir, 'remote.git'), WORLD);
  const onCleanup = (cleanup: () => Promise<void> | void) => cleanups.push(cleanup);
  const proxy = await startProxy(await startGitDaemon(dir, onCleanup), onCleanup);
  const clone = join(dir, 'clone');
  const env = {
    MANIFEST_REPO_URL: `git://127.0.0.1:${proxy.port}/remote.git`,
    MANIFEST_REPO_PATH: clone,
    GIT_REMOTE_TIMEOUT_SECONDS: String(timeoutSeconds),
    // No background fetch: the only remote git command is the write's.
    MANIFEST_REPO_FETCH_INTERVAL_SECONDS: '3600',
  };
  return { proxy, clone, env };
}

function putLock(base: string, id: string): Promise<Response> {
  return fetch(`${base}/api/environments/dev/locks/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'held' }),
  });
}

describe('shutdown', () => {
  it('SIGTERM while a push hangs: the write is answered 504 after the git timeout, then the process exits 0 and no git process of it is left', async () => {
    const dir = await tempDir();
    const { proxy, clone, env } = await hangableRemote(dir, 2);
    const service = startService(dir, env);
    const base = await service.listening;

    proxy.hang('pushes');
    const pushHangs = proxy.nextHung();
    const write = putLock(base, 'during-shutdown');
    await pushHangs;
    const gitChildren = descendantsOf(service.child.pid as number);
    expect(gitChildren.map(({ args }) => args).join('\n')).toMatch(/git .*push/);
    service.child.kill('SIGTERM');

    const answer = await write;
    expect(answer.status).toBe(504);
    expect(((await answer.json()) as { code: string }).code).toBe('REMOTE_TIMEOUT');
    expect(await service.exited).toBe(0);
    // The grace it waited with is the one computed from its configuration.
    const stopping = JSON.parse(await service.logLine(/"msg":"stopping"/)) as { graceSeconds: number };
    expect(stopping.graceSeconds).toBe(Math.ceil(shutdownGraceMs(loadConfig(env)) / 1000));
    await waitUntil(() => stillRunning(gitChildren).length === 0 && processesIn(clone).length === 0);
  }, 60_000);

  it('an unexpected error, then a second signal while a push hangs: the process exits 1 at once, and the hung git is killed with its process group', async () => {
    const dir = await tempDir();
    // A timeout far beyond the test: only the service's exit can end this push.
    const { proxy, clone, env } = await hangableRemote(dir, 600);
    const service = startService(dir, env, { preload: RAISE_ON_SIGWINCH });
    const base = await service.listening;

    proxy.hang('pushes');
    const pushHangs = proxy.nextHung();
    const write = putLock(base, 'during-an-error').catch((error: Error) => error);
    await pushHangs;
    const gitChildren = descendantsOf(service.child.pid as number);
    expect(gitChildren.some(({ args }) => /git .*push/.test(args))).toBe(true);
    service.child.kill('SIGWINCH');
    await service.logLine(/stopping after an unexpected error/);
    service.child.kill('SIGTERM');

    expect(await service.exited).toBe(1);
    expect(await write).toBeInstanceOf(Error); // the connection went with the process
    await waitUntil(() => stillRunning(gitChildren).length === 0 && processesIn(clone).length === 0);
  }, 60_000);

  it('SIGKILL: the service cannot clean up, and its long-lived cat-file ends on the end of its stdin', async () => {
    const dir = await tempDir();
    const repo = join(dir, 'repo');
    await generateWorkload(repo, WORLD);
    const service = startService(dir, { MANIFEST_REPO_PATH: repo });
    const base = await service.listening;
    expect((await fetch(`${base}/api/environment-groups/prod/releasetrain/prognosis`)).status).toBe(200);
    const catFile = descendantsOf(service.child.pid as number).filter(({ args }) =>
      args.includes('cat-file'),
    );
    expect(catFile).toHaveLength(1);

    service.child.kill('SIGKILL');
    expect(await service.exited).toBeNull();
    await waitUntil(() => stillRunning(catFile).length === 0 && processesIn(repo).length === 0);
  }, 60_000);
});
