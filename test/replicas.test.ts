// Several service processes on one git server (git daemon on 127.0.0.1): concurrent writes from
// every replica and from an outside clone, a replica killed mid-train, a remote that hangs.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appName, generateWorkload, prodName } from '../bench/workload.js';
import { gitEnvironment } from '../src/manifest/git.js';
import { startGitDaemon, startProxy } from './support/gitDaemon.js';
import { killAllServices, type ServiceProcess, startService } from './support/serviceProcess.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { env: gitEnvironment(), encoding: 'utf8' });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-replicas-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small world: dev (latest) -> staging -> prod-01..03 (group prod), with locks in prod. */
const WORLD = { name: 'replicas', apps: 12, prodEnvironments: 3, releasesPerApp: 3, teams: 3 };

async function remoteWorld(dir: string): Promise<{ port: number; remote: string; url: string }> {
  const remote = join(dir, 'remote.git');
  await generateWorkload(remote, WORLD);
  const port = await startGitDaemon(dir, (cleanup) => cleanups.push(cleanup));
  return { port, remote, url: `git://127.0.0.1:${port}/remote.git` };
}

function startReplica(dir: string, url: string, name: string, env: Record<string, string> = {}) {
  return startService(dir, {
    MANIFEST_REPO_URL: url,
    MANIFEST_REPO_PATH: join(dir, `clone-${name}`),
    MANIFEST_REPO_FETCH_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'info',
    ...env,
  });
}

interface Acknowledged {
  readonly requestId: string;
  readonly commitId?: string | null;
}

/** Sends one write with a request id of its own; resolves what the client was told. */
async function send(
  base: string,
  method: string,
  path: string,
  requestId: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  let payload: FormData | string | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Every write acknowledged by the service is a commit on the branch, each exactly once. */
function expectAllOnBranch(remote: string, acknowledged: readonly Acknowledged[]): void {
  const log = git(remote, ['log', '--format=%H %(trailers:key=Request-Id,valueonly,separator=%x2C)', 'main']);
  const commitsByRequest = new Map<string, string[]>();
  for (const line of log.trim().split('\n')) {
    const [commit, requestId] = line.split(' ');
    if (!commit || !requestId) continue;
    commitsByRequest.set(requestId, [...(commitsByRequest.get(requestId) ?? []), commit]);
  }
  for (const { requestId, commitId } of acknowledged) {
    const commits = commitsByRequest.get(requestId) ?? [];
    expect(commits, `request ${requestId}`).toHaveLength(1);
    if (commitId) expect(commits[0]).toBe(commitId);
  }
}

/** No commit changes a version that its parent had locked (environment, app or team lock). */
function expectNoLockedVersionChanged(remote: string, since: string): number {
  const commits = git(remote, ['rev-list', '--reverse', `${since}..main`])
    .trim()
    .split('\n')
    .filter(Boolean);
  let versionChanges = 0;
  const hasEntries = (commit: string, path: string) =>
    git(remote, ['ls-tree', '--name-only', commit, `${path}/`]).trim() !== '';
  for (const commit of commits) {
    const parent = `${commit}^`;
    const changed = git(remote, ['diff-tree', '-r', '--no-renames', '--name-only', parent, commit])
      .trim()
      .split('\n');
    for (const path of changed) {
      const match = /^environments\/([^/]+)\/applications\/([^/]+)\/version$/.exec(path);
      if (!match) continue;
      const [, environment, app] = match;
      versionChanges++;
      const where = `${commit.slice(0, 8)} ${environment}/${app}`;
      expect(hasEntries(parent, `environments/${environment}/locks`), `${where}: environment lock`).toBe(
        false,
      );
      expect(
        hasEntries(parent, `environments/${environment}/applications/${app}/locks`),
        `${where}: app lock`,
      ).toBe(false);
      const team = git(remote, ['ls-tree', parent, `applications/${app}/team`]).trim()
        ? git(remote, ['cat-file', 'blob', `${parent}:applications/${app}/team`]).trim()
        : '';
      if (team) {
        expect(
          hasEntries(parent, `environments/${environment}/teams/${team}/locks`),
          `${where}: team lock`,
        ).toBe(false);
      }
    }
  }
  return versionChanges;
}

/** An outside clone (a person, another tool) that pushes lock changes meanwhile. */
async function outsidePusher(dir: string, url: string, rounds: number): Promise<number> {
  const work = join(dir, 'outside');
  execFileSync('git', ['clone', '--quiet', url, work], { env: gitEnvironment() });
  let pushed = 0;
  for (let round = 0; round < rounds; round++) {
    for (let attempt = 0; attempt < 20; attempt++) {
      git(work, ['fetch', '--quiet', 'origin']);
      git(work, ['reset', '--quiet', '--hard', 'origin/main']);
      const lock = join(
        work,
        `environments/staging/applications/${appName(round % WORLD.apps)}/locks/outside`,
      );
      const present = git(work, [
        'ls-files',
        `environments/staging/applications/${appName(round % WORLD.apps)}/locks`,
      ]);
      if (present.trim())
        git(work, [
          'rm',
          '--quiet',
          '-r',
          `environments/staging/applications/${appName(round % WORLD.apps)}/locks`,
        ]);
      else {
        execFileSync('mkdir', ['-p', lock]);
        await writeFile(join(lock, 'message'), `held from outside, round ${round}`);
        await writeFile(join(lock, 'created_at'), '2026-11-26T10:00:00Z');
        git(work, ['add', '.']);
      }
      git(work, ['commit', '--quiet', '-m', `outside change ${round}`]);
      const push = spawnSyncStatus(work, ['push', '--quiet', 'origin', 'HEAD:main']);
      if (push === 0) {
        pushed++;
        break;
      }
      await sleep(20 + Math.random() * 80);
    }
    await sleep(100);
  }
  return pushed;
}

function spawnSyncStatus(cwd: string, args: readonly string[]): number {
  try {
    execFileSync('git', ['-C', cwd, ...args], { env: gitEnvironment(), stdio: 'ignore' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? 1;
  }
}

function release(app: string, round: number): FormData {
  const form = new FormData();
  form.set('application', app);
  form.set('source_commit_id', `${round}`.padStart(40, 'a'));
  for (const environment of [
    'dev',
    'staging',
    ...Array.from({ length: WORLD.prodEnvironments }, (_, i) => prodName(i)),
  ]) {
    form.set(
      `manifests[${environment}]`,
      `kind: ConfigMap\nmetadata:\n  name: ${app}-${round}-${environment}\n`,
    );
  }
  return form;
}

describe('several replicas on one git server', () => {
  it('three replicas and an outside clone write concurrently: every acknowledged write is on the branch, once, history is linear, no lock is overrun', async () => {
    const dir = await tempDir();
    const { remote, url } = await remoteWorld(dir);
    const start = git(remote, ['rev-parse', 'main']).trim();
    const replicas = ['a', 'b', 'c'].map((name) => startReplica(dir, url, name));
    const bases = await Promise.all(replicas.map((replica) => replica.listening));

    const acknowledged: Acknowledged[] = [];
    const statuses: number[] = [];
    let trainsWithSkips = 0;
    const client = async (base: string, replica: number, worker: number) => {
      for (let step = 0; step < 8; step++) {
        const requestId = `r${replica}-w${worker}-s${step}`;
        const app = appName((replica * 5 + worker * 3 + step) % WORLD.apps);
        const kind = (replica + worker + step) % 5;
        const isTrain = kind <= 1;
        const answers: { requestId: string; status: number; json: Record<string, unknown> }[] = [];
        const ask = async (method: string, path: string, id: string, body?: unknown) =>
          answers.push({ requestId: id, ...(await send(base, method, path, id, body)) });
        if (kind === 0) await ask('PUT', '/api/environment-groups/prod/releasetrain', requestId);
        else if (kind === 1) await ask('PUT', '/api/environments/staging/releasetrain', requestId);
        else if (kind === 2) {
          await ask('PUT', `/api/environments/prod-03/locks/hold-${requestId}`, requestId, {
            message: 'hold',
          });
        } else if (kind === 3) {
          // A short freeze of staging: trains meanwhile must skip it.
          const path = `/api/environments/staging/locks/freeze-${requestId}`;
          await ask('PUT', path, requestId, { message: 'freeze staging' });
          await ask('DELETE', path, `${requestId}-unlock`);
        } else await ask('POST', '/api/release', requestId, release(app, step));
        for (const answer of answers) {
          statuses.push(answer.status);
          if (answer.status >= 200 && answer.status < 300) {
            if (!isTrain) acknowledged.push({ requestId: answer.requestId });
            else {
              const commitId = answer.json.commitId as string | null;
              if (JSON.stringify(answer.json).includes('"skipCause"')) trainsWithSkips++;
              // A train with nothing to deploy makes no commit.
              if (commitId !== null) acknowledged.push({ requestId: answer.requestId, commitId });
            }
          } else {
            // Under contention a write may be refused after its attempts (503), or find its lock gone (404).
            expect([404, 503], `${answer.requestId}: ${JSON.stringify(answer.json)}`).toContain(
              answer.status,
            );
          }
        }
      }
    };
    const [outsidePushes] = await Promise.all([
      outsidePusher(dir, url, 8),
      ...bases.flatMap((base, replica) => [client(base, replica, 0), client(base, replica, 1)]),
    ]);

    expect(outsidePushes).toBeGreaterThan(0);
    expect(statuses.filter((status) => status >= 200 && status < 300).length).toBeGreaterThan(
      statuses.length / 2,
    );
    expect(trainsWithSkips).toBeGreaterThan(0);
    expectAllOnBranch(remote, acknowledged);
    expect(git(remote, ['rev-list', '--merges', 'main']).trim()).toBe('');
    expect(git(remote, ['merge-base', '--is-ancestor', start, 'main'])).toBe('');
    expect(expectNoLockedVersionChanged(remote, start)).toBeGreaterThan(0);
    execFileSync('git', ['-C', remote, 'fsck', '--no-progress', '--no-dangling'], { env: gitEnvironment() });

    // Every replica converges on the remote's tip (the background fetch), and answers from it.
    await sleep(2500);
    const tip = git(remote, ['rev-parse', 'main']).trim();
    for (const name of ['a', 'b', 'c'])
      expect(git(join(dir, `clone-${name}`), ['rev-parse', 'main']).trim()).toBe(tip);
  }, 120_000);

  it('a replica killed with SIGKILL in the middle of a train restarts and works; the remote stays sound', async () => {
    const dir = await tempDir();
    const { remote, url } = await remoteWorld(dir);
    // A slow server-side check, so that the kill lands while the push is in flight too.
    const hook = join(remote, 'hooks/pre-receive');
    await writeFile(hook, '#!/bin/sh\ncat >/dev/null\nsleep 0.4\n');
    await chmod(hook, 0o755);

    let killedInFlight = 0;
    for (const delay of [30, 200, 450]) {
      let replica: ServiceProcess = startReplica(dir, url, 'k');
      const base = await replica.listening;
      // Something to deploy: a new release in dev, then the train to staging is killed.
      const created = await send(
        base,
        'POST',
        '/api/release',
        `release-${delay}`,
        release(appName(0), delay),
      );
      expect(created.status).toBe(201);
      const train = fetch(`${base}/api/environments/staging/releasetrain`, { method: 'PUT' }).catch(
        (error: Error) => error,
      );
      await sleep(delay);
      replica.child.kill('SIGKILL');
      await replica.exited;
      const answer = await train;
      await sleep(700); // an orphaned push may still finish: the remote decides, not the dead process
      if (answer instanceof Error) killedInFlight++;
      else {
        // Answered before the kill: then it must be on the remote.
        expect(answer.status).toBe(200);
        const { commitId } = (await answer.json()) as { commitId: string };
        expect(git(remote, ['merge-base', '--is-ancestor', commitId, 'main'])).toBe('');
      }

      replica = startReplica(dir, url, 'k');
      const restarted = await replica.listening;
      const next = await send(
        restarted,
        'PUT',
        '/api/environment-groups/prod/releasetrain',
        `after-${delay}`,
      );
      expect(next.status).toBe(200);
      const lock = await send(
        restarted,
        'PUT',
        `/api/environments/prod-03/locks/after-${delay}`,
        `lock-${delay}`,
        {
          message: 'after the crash',
        },
      );
      expect(lock.status).toBe(200);
      expect(git(join(dir, 'clone-k'), ['rev-parse', 'main'])).toBe(git(remote, ['rev-parse', 'main']));
      replica.child.kill('SIGTERM');
      expect(await replica.exited).toBe(0);
    }
    expect(killedInFlight).toBeGreaterThan(0);
    execFileSync('git', ['-C', remote, 'fsck', '--no-progress', '--strict'], { env: gitEnvironment() });
    execFileSync('git', ['-C', join(dir, 'clone-k'), 'fsck', '--no-progress', '--connectivity-only'], {
      env: gitEnvironment(),
    });
    expect(git(remote, ['rev-list', '--merges', 'main']).trim()).toBe('');
  }, 120_000);

  it('a remote that hangs: 504 within the bound, reads go on, and writes work again when it is back', async () => {
    const dir = await tempDir();
    const { port, remote } = await remoteWorld(dir);
    const proxy = await startProxy(port, (cleanup) => cleanups.push(cleanup));
    const replica = startReplica(dir, `git://127.0.0.1:${proxy.port}/remote.git`, 'h', {
      GIT_REMOTE_TIMEOUT_SECONDS: '2',
    });
    const base = await replica.listening;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    proxy.hang(true);
    const started = performance.now();
    const hung = await send(base, 'PUT', '/api/environments/dev/locks/while-hung', 'hung-1', {
      message: 'x',
    });
    const elapsed = performance.now() - started;
    expect(hung.status).toBe(504);
    expect(hung.json.code).toBe('REMOTE_TIMEOUT');
    expect(elapsed).toBeLessThan(2000 + 3000);
    expect(git(remote, ['ls-tree', 'main', 'environments/dev/locks/']).trim()).toBe('');
    // Reads keep working from the clone meanwhile.
    expect((await fetch(`${base}/api/environment-groups/prod/releasetrain/prognosis`)).status).toBe(200);

    proxy.hang(false);
    const back = await send(base, 'PUT', '/api/environments/dev/locks/after-hang', 'back-1', {
      message: 'x',
    });
    expect(back.status).toBe(200);
    expect(git(remote, ['ls-tree', '--name-only', 'main', 'environments/dev/locks/']).trim()).toBe(
      'environments/dev/locks/after-hang',
    );
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }, 60_000);

  it('a remote that refuses with a pre-receive hook: 502 at once, the hook ran once, nothing written', async () => {
    const dir = await tempDir();
    const { remote, url } = await remoteWorld(dir);
    const counter = join(dir, 'hook-runs');
    const hook = join(remote, 'hooks/pre-receive');
    await writeFile(
      hook,
      `#!/bin/sh\ncat >/dev/null\necho run >> '${counter}'\necho "deploys are frozen today" >&2\nexit 1\n`,
    );
    await chmod(hook, 0o755);
    const before = git(remote, ['rev-parse', 'main']);
    const replica = startReplica(dir, url, 'r');
    const base = await replica.listening;

    const refused = await send(base, 'PUT', '/api/environment-groups/prod/releasetrain', 'refused-1');
    expect(refused.status).toBe(502);
    expect(refused.json.code).toBe('REMOTE_REJECTED');
    expect(refused.json.message).toContain('pre-receive hook declined');
    expect(refused.json.message).toContain('deploys are frozen today');
    expect(execFileSync('cat', [counter], { encoding: 'utf8' })).toBe('run\n');
    expect(git(remote, ['rev-parse', 'main'])).toBe(before);
  }, 60_000);
});
