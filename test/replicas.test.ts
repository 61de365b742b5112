// Several service processes on one git server (git daemon on 127.0.0.1): concurrent writes from
// every replica and from an outside clone, a replica killed mid-train, a remote that hangs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appName, generateWorkload, prodName, type WorkloadSize } from '../bench/workload.js';
import { gitEnvironment } from '../src/manifest/git.js';
import { startGitDaemon, startProxy } from './support/gitDaemon.js';
import { processesIn, waitUntil } from './support/processes.js';
import { killAllServices, type ServiceProcess, startService } from './support/serviceProcess.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killAllServices();
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

/** A small world: dev (latest) -> staging -> prod-01..03 (group prod), with locks in prod. */
const WORLD = { name: 'replicas', apps: 12, prodEnvironments: 3, releasesPerApp: 3, teams: 3 };

async function remoteWorld(
  dir: string,
  world: WorkloadSize = WORLD,
): Promise<{ port: number; remote: string; url: string }> {
  const remote = join(dir, 'remote.git');
  await generateWorkload(remote, world);
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
  const teamOfBlob = new Map<string, string>();
  let versionChanges = 0;
  for (const commit of commits) {
    const parent = `${commit}^`;
    const changedVersions = git(remote, ['diff-tree', '-r', '--no-renames', '--name-only', parent, commit])
      .trim()
      .split('\n')
      .map((path) => /^environments\/([^/]+)\/applications\/([^/]+)\/version$/.exec(path))
      .filter((match) => match !== null);
    if (changedVersions.length === 0) continue;
    // The parent's files, read once: `<oid>\t<path>` (one process per commit, not per check).
    const files = new Map(
      git(remote, ['ls-tree', '-r', '--format=%(objectname)%x09%(path)', parent])
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string])
        .map(([oid, path]) => [path, oid]),
    );
    const hasEntries = (dir: string) => [...files.keys()].some((path) => path.startsWith(`${dir}/`));
    const teamOf = (app: string) => {
      const oid = files.get(`applications/${app}/team`);
      if (oid === undefined) return '';
      if (!teamOfBlob.has(oid)) teamOfBlob.set(oid, git(remote, ['cat-file', 'blob', oid]).trim());
      return teamOfBlob.get(oid) ?? '';
    };
    for (const [, environment, app] of changedVersions) {
      versionChanges++;
      const where = `${commit.slice(0, 8)} ${environment}/${app}`;
      expect(hasEntries(`environments/${environment}/locks`), `${where}: environment lock`).toBe(false);
      expect(hasEntries(`environments/${environment}/applications/${app}/locks`), `${where}: app lock`).toBe(
        false,
      );
      const team = teamOf(app ?? '');
      if (team) {
        expect(hasEntries(`environments/${environment}/teams/${team}/locks`), `${where}: team lock`).toBe(
          false,
        );
      }
    }
  }
  return versionChanges;
}

/**
 * An outside clone (a person, another tool) that pushes lock changes meanwhile: a round after
 * each of the replicas' next few writes (`progress`), so that its pushes land among theirs.
 */
async function outsidePusher(
  dir: string,
  url: string,
  rounds: number,
  progress: () => Promise<void>,
): Promise<number> {
  const work = join(dir, 'outside');
  execFileSync('git', ['clone', '--quiet', url, work], { env: gitEnvironment() });
  let pushed = 0;
  for (let round = 0; round < rounds; round++) {
    await progress();
    // A push that found the branch moved starts again from the new tip.
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
    }
  }
  return pushed;
}

/**
 * Counts the replicas' answered writes; `progress()` resolves after the next `step` of them, or at
 * once when the replicas are done.
 */
function writeProgress(step: number) {
  let answered = 0;
  let done = false;
  const waiting: { readonly at: number; readonly resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of waiting.splice(0)) {
      if (done || answered >= waiter.at) waiter.resolve();
      else waiting.push(waiter);
    }
  };
  return {
    answered() {
      answered++;
      wake();
    },
    finished() {
      done = true;
      wake();
    },
    progress: () =>
      new Promise<void>((resolve) => {
        waiting.push({ at: answered + step, resolve });
        wake();
      }),
  };
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
    const writes = writeProgress(2);
    const client = async (base: string, replica: number, worker: number) => {
      // Three steps a client: 18 writes race on three replicas (each kind of write, and a short
      // freeze of staging, among them), some 22 commits with the unlocks.
      for (let step = 0; step < 3; step++) {
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
          writes.answered();
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
    const clients = Promise.all(
      bases.flatMap((base, replica) => [client(base, replica, 0), client(base, replica, 1)]),
    ).finally(writes.finished);
    const [outsidePushes] = await Promise.all([outsidePusher(dir, url, 4, writes.progress), clients]);

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

    // Every replica converges on the remote's tip (the background fetch, every second).
    const tip = git(remote, ['rev-parse', 'main']).trim();
    const clone = (name: string) => join(dir, `clone-${name}`);
    await waitUntil(
      () => ['a', 'b', 'c'].every((name) => git(clone(name), ['rev-parse', 'main']).trim() === tip),
      100,
    );
  }, 120_000);

  it('a replica killed with SIGKILL in the middle of a train restarts and works; the remote stays sound', async () => {
    const dir = await tempDir();
    const { remote, url } = await remoteWorld(dir);
    const clone = join(dir, 'clone-k');
    // A hook that is armed holds a push until `open` exists: pre-receive before the server takes
    // the commit, post-receive after it took it and before the pusher hears so.
    const armed = (hook: string) => join(dir, `armed-${hook}`);
    const holding = (hook: string) => join(dir, `holding-${hook}`);
    const open = join(dir, 'open');
    for (const hook of ['pre-receive', 'post-receive']) {
      const path = join(remote, 'hooks', hook);
      await writeFile(
        path,
        [
          '#!/bin/sh',
          'cat >/dev/null',
          `if [ -e '${armed(hook)}' ]; then`,
          `  : > '${holding(hook)}'`,
          `  while [ ! -e '${open}' ]; do sleep 0.01; done`,
          'fi',
          '',
        ].join('\n'),
      );
      await chmod(path, 0o755);
    }

    // Where the kill lands: the train is received (its push, if it got that far, is held), its push
    // is in the server's hands, or the server took the commit and the replica has not heard.
    const moments = [
      {
        moment: 'received',
        hook: 'pre-receive',
        reached: (replica: ServiceProcess) =>
          replica.logLine(/"url":"\/api\/environments\/staging\/releasetrain".*"msg":"incoming request"/),
      },
      {
        moment: 'pushing',
        hook: 'pre-receive',
        reached: () => waitUntil(() => existsSync(holding('pre-receive'))),
      },
      {
        moment: 'pushed',
        hook: 'post-receive',
        reached: () => waitUntil(() => existsSync(holding('post-receive'))),
      },
    ];
    for (const [round, { moment, hook, reached }] of moments.entries()) {
      let replica: ServiceProcess = startReplica(dir, url, 'k');
      const base = await replica.listening;
      // Something to deploy: a new release in dev, then the train to staging is killed.
      const created = await send(
        base,
        'POST',
        '/api/release',
        `release-${moment}`,
        release(appName(0), round),
      );
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const before = git(remote, ['rev-parse', 'main']).trim();
      await writeFile(armed(hook), '');
      const train = fetch(`${base}/api/environments/staging/releasetrain`, { method: 'PUT' }).catch(
        (error: Error) => error,
      );
      await reached(replica);
      replica.child.kill('SIGKILL');
      await replica.exited;
      // Never answered: the push cannot end while the server holds it.
      expect(await train, moment).toBeInstanceOf(Error);
      // An orphaned push may still finish: the remote decides, not the dead process.
      await unlink(armed(hook));
      await writeFile(open, '');
      await waitUntil(() => processesIn(clone).length === 0 && processesIn(remote).length === 0);
      await unlink(open);
      await rm(holding(hook), { force: true });
      // The server took the commit the replica never acknowledged; the restarted one builds on it.
      if (moment === 'pushed') expect(git(remote, ['rev-parse', 'main^']).trim(), moment).toBe(before);

      replica = startReplica(dir, url, 'k');
      const restarted = await replica.listening;
      const next = await send(
        restarted,
        'PUT',
        '/api/environment-groups/prod/releasetrain',
        `after-${moment}`,
      );
      expect(next.status, JSON.stringify(next.json)).toBe(200);
      const lock = await send(
        restarted,
        'PUT',
        `/api/environments/prod-03/locks/after-${moment}`,
        `lock-${moment}`,
        {
          message: 'after the crash',
        },
      );
      expect(lock.status).toBe(200);
      expect(git(clone, ['rev-parse', 'main'])).toBe(git(remote, ['rev-parse', 'main']));
      replica.child.kill('SIGTERM');
      expect(await replica.exited).toBe(0);
    }
    execFileSync('git', ['-C', remote, 'fsck', '--no-progress', '--strict'], { env: gitEnvironment() });
    execFileSync('git', ['-C', clone, 'fsck', '--no-progress', '--connectivity-only'], {
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
      // No background fetch: the only connections are the write's.
      MANIFEST_REPO_FETCH_INTERVAL_SECONDS: '3600',
    });
    const base = await replica.listening;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    proxy.hang(true);
    const hung = await send(base, 'PUT', '/api/environments/dev/locks/while-hung', 'hung-1', {
      message: 'x',
    });
    expect(hung.status).toBe(504);
    expect(hung.json.code).toBe('REMOTE_TIMEOUT');
    // Within the bound: the configured one, for one git command, not tried again.
    expect(hung.json.message).toContain('did not finish within 2 s');
    expect(proxy.hungConnections()).toBe(1);
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

describe('several replicas cleaning up releases at once', () => {
  /** dev (latest) and staging run release 12 of each app, prod (both locked) 10: d = 10 until prod moves. */
  const RETENTION_WORLD: WorkloadSize = {
    name: 'retention',
    apps: 6,
    prodEnvironments: 2,
    releasesPerApp: 12,
    teams: 2,
  };

  /** Release numbers by app at a commit of the remote. */
  function releasesAt(remote: string, commit: string): Map<string, Set<number>> {
    const byApp = new Map<string, Set<number>>();
    const listing = git(remote, ['ls-tree', '-d', '-r', '--name-only', commit, 'applications/']);
    for (const path of listing.split('\n')) {
      const match = /^applications\/([^/]+)\/releases\/(\d+)$/.exec(path);
      if (!match) continue;
      const versions = byApp.get(match[1] as string) ?? new Set<number>();
      versions.add(Number(match[2]));
      byApp.set(match[1] as string, versions);
    }
    return byApp;
  }

  it('three replicas deploy and clean concurrently: each release is removed once, by a commit that had it, none that is deployed or queued, and a last cleanup finds the rule kept', async () => {
    const dir = await tempDir();
    const { remote, url } = await remoteWorld(dir, RETENTION_WORLD);
    const start = git(remote, ['rev-parse', 'main']).trim();
    const replicas = ['a', 'b', 'c'].map((name) => startReplica(dir, url, name, { RELEASES_KEPT: '5' }));
    const bases = await Promise.all(replicas.map((replica) => replica.listening));

    const acknowledged: Acknowledged[] = [];
    const client = async (base: string, replica: number, worker: number) => {
      // Four steps: each client makes each kind of write once.
      for (let step = 0; step < 4; step++) {
        const requestId = `c${replica}-w${worker}-s${step}`;
        const app = appName((replica * 2 + worker + step) % RETENTION_WORLD.apps);
        const kind = (replica + worker * 2 + step) % 4;
        let answer: { status: number; json: Record<string, unknown> };
        if (kind === 0) answer = await send(base, 'POST', '/api/release', requestId, release(app, step));
        else if (kind === 1)
          answer = await send(base, 'PUT', '/api/environments/staging/releasetrain', requestId);
        else if (kind === 2) {
          // prod is locked: by hand, past the lock, so that d moves up and old releases go.
          answer = await send(
            base,
            'PUT',
            `/api/environments/prod-0${1 + (step % 2)}/applications/${app}/deployment`,
            requestId,
            {
              version: 12,
              lockBehavior: 'ignore',
            },
          );
        } else answer = await send(base, 'POST', '/api/releases/cleanup', requestId);
        if (answer.status >= 200 && answer.status < 300) {
          const commitId = answer.json.commitId as string | null | undefined;
          // A train or cleanup with nothing to do, a deployment of what runs: no commit.
          if (commitId !== null) acknowledged.push({ requestId, ...(commitId ? { commitId } : {}) });
        } else {
          expect(answer.status, `${requestId}: ${JSON.stringify(answer.json)}`).toBe(503);
        }
      }
    };
    await Promise.all(bases.flatMap((base, replica) => [client(base, replica, 0), client(base, replica, 1)]));
    // A last cleanup settles every app (the replica fetches first).
    const last = await send(bases[0] as string, 'POST', '/api/releases/cleanup', 'last-cleanup');
    expect(last.status, JSON.stringify(last.json)).toBe(200);
    if (last.json.commitId)
      acknowledged.push({ requestId: 'last-cleanup', commitId: last.json.commitId as string });
    expectAllOnBranch(remote, acknowledged);
    expect(git(remote, ['rev-list', '--merges', 'main']).trim()).toBe('');

    // Each removal line names a release its commit's parent had and the commit has not; none twice.
    const commits = git(remote, ['rev-list', '--reverse', `${start}..main`])
      .trim()
      .split('\n');
    const claimed = new Set<string>();
    let removals = 0;
    for (const commit of commits) {
      const lines = git(remote, ['log', '-1', '--format=%B', commit]).split('\n');
      const removed = lines.flatMap((line) => {
        const match = /^removed version (\d+) of app (\S+) as cleanup$/.exec(line);
        return match ? [{ app: match[2] as string, version: Number(match[1]) }] : [];
      });
      if (removed.length === 0) continue;
      const before = releasesAt(remote, `${commit}^`);
      const after = releasesAt(remote, commit);
      for (const { app, version } of removed) {
        const key = `${app}/${version}`;
        expect(claimed.has(key), key).toBe(false);
        claimed.add(key);
        expect(before.get(app)?.has(version), `${key} before ${commit}`).toBe(true);
        expect(after.get(app)?.has(version) ?? false, `${key} after ${commit}`).toBe(false);
        removals++;
      }
    }
    expect(removals).toBeGreaterThan(0);

    // At the tip every version and queued_version links to a release there, and each app keeps
    // exactly what the rule keeps (the last cleanup ran on it).
    const tip = git(remote, ['rev-parse', 'main']).trim();
    const releases = releasesAt(remote, tip);
    const links = git(remote, ['ls-tree', '-r', tip, 'environments/'])
      .split('\n')
      .filter((line) => /\/(version|queued_version)$/.test(line));
    const deployed = new Map<string, number[]>();
    const queued = new Map<string, Set<number>>();
    for (const line of links) {
      const [info, path] = line.split('\t') as [string, string];
      const oid = info.split(' ')[2] as string;
      const target = git(remote, ['cat-file', 'blob', oid]);
      const match = /^\.\.\/\.\.\/\.\.\/\.\.\/applications\/([^/]+)\/releases\/(\d+)$/.exec(target);
      expect(match, `${path} -> ${target}`).not.toBeNull();
      const [, app, version] = match as RegExpExecArray;
      expect(releases.get(app as string)?.has(Number(version)), `${path} -> ${target}`).toBe(true);
      if (path.endsWith('/queued_version'))
        queued.set(app as string, new Set([...(queued.get(app as string) ?? []), Number(version)]));
      else deployed.set(app as string, [...(deployed.get(app as string) ?? []), Number(version)]);
    }
    for (const [app, versions] of releases) {
      const sorted = [...versions].sort((a, b) => a - b);
      const d = Math.min(...(deployed.get(app) ?? [sorted.at(-1) as number]));
      const below = sorted.filter((version) => version < d);
      const removable = below
        .slice(0, Math.max(0, below.length - 4))
        .filter((version) => !queued.get(app)?.has(version));
      expect(removable, app).toEqual([]);
    }
    execFileSync('git', ['-C', remote, 'fsck', '--no-progress', '--no-dangling'], { env: gitEnvironment() });
  }, 120_000);
});
