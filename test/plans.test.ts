// A conditional train (plans.md) over real service processes, through every path that plans
// again: a lock arriving on another replica between the prognosis and the train; a push that
// loses the race to an outside push while the git server holds it; the local compare-and-swap
// losing to a commit made while git's reference-transaction hook holds the service's write.
// In each, the re-plan is held to If-Match: 412 and nothing written when a decision changed,
// the approved plan committed on the new tip when none did.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appName, generateWorkload, prodName } from '../bench/workload.js';
import { gitEnvironment } from '../src/manifest/git.js';
import { startGitDaemon } from './support/gitDaemon.js';
import { waitUntil } from './support/processes.js';
import { killAllServices, startService } from './support/serviceProcess.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * dev (latest) -> staging -> prod-01..03 (group prod); prod runs release 1, staging 3. prod-01 and
 * prod-02 are locked, so a prod train deploys release 3 to prod-03 (but app-0001, app-locked there,
 * and team-1's apps, team-locked there).
 */
const WORLD = { name: 'plans', apps: 6, prodEnvironments: 3, releasesPerApp: 3, teams: 3 };
/** Deployed by the prod train (team-2, no app lock): a lock on it changes the plan. */
const DEPLOYED_APP = appName(1);
const PROD_TARGET = prodName(2);
const PROGNOSIS = '/api/environment-groups/prod/releasetrain/prognosis';
const TRAIN = '/api/environment-groups/prod/releasetrain';

function git(cwd: string, args: readonly string[], input?: string): string {
  return execFileSync('git', ['-C', cwd, ...args], { env: gitEnvironment(), encoding: 'utf8', input });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-plans-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Answer {
  readonly status: number;
  readonly etag: string | null;
  readonly json: Record<string, unknown>;
}

async function send(
  url: string,
  method = 'GET',
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), json: text ? JSON.parse(text) : {} };
}

/** One commit on main of a bare repo, made with plain git (fast-import): a person's change. */
function outsideCommit(repo: string, path: string, content: string): string {
  const parent = git(repo, ['rev-parse', 'main']).trim();
  git(
    repo,
    ['fast-import', '--quiet', '--done'],
    [
      'commit refs/heads/main',
      'committer Someone <someone@example.com> 1795000100 +0000',
      'data 14',
      'outside change',
      `from ${parent}`,
      `M 100644 inline ${path}`,
      `data ${Buffer.byteLength(content)}`,
      content,
      'done',
      '',
    ].join('\n'),
  );
  return git(repo, ['rev-parse', 'main']).trim();
}

const appLockPath = (environment: string, app: string, lockId: string) =>
  `environments/${environment}/applications/${app}/locks/${lockId}/message`;

function appPrognosis(answer: Answer, environment: string, app: string): Record<string, unknown> {
  const envs = answer.json.envsPrognoses as Record<
    string,
    { appsPrognoses: { prognoses: Record<string, Record<string, unknown>> } }
  >;
  return envs[environment]?.appsPrognoses.prognoses[app] ?? {};
}

/** Commits on main of `repo` after `since` whose message starts a release train. */
function trainCommits(repo: string, since: string): string[] {
  return git(repo, ['log', '--format=%H %s', `${since}..main`])
    .trim()
    .split('\n')
    .filter((line) => line.includes('Release Train'));
}

/**
 * A hook script that, while `armed` exists, removes it (so only the first run holds), says it
 * holds, and waits until `open` exists; every run appends a line to `runs`.
 */
function holdingHook(
  dir: string,
  condition: string,
): { script: string; armed: string; holding: string; open: string; runs: string } {
  const [armed, holding, open, runs] = ['armed', 'holding', 'open', 'runs'].map((name) =>
    join(dir, name),
  ) as [string, string, string, string];
  const script = [
    '#!/bin/sh',
    'input=$(cat)',
    `if ${condition}; then`,
    `  echo run >> '${runs}'`,
    `  if [ -e '${armed}' ]; then`,
    `    rm -f '${armed}'`,
    `    : > '${holding}'`,
    `    while [ ! -e '${open}' ]; do sleep 0.01; done`,
    '  fi',
    'fi',
    '',
  ].join('\n');
  return { script, armed, holding, open, runs };
}

const runsOf = async (file: string) =>
  existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).length : 0;

describe('a conditional train over real processes', () => {
  it('a lock made on another replica between the prognosis and the train: 412, nothing written; the new plan then runs', async () => {
    const dir = await tempDir();
    const remote = join(dir, 'remote.git');
    await generateWorkload(remote, WORLD);
    const port = await startGitDaemon(dir, (cleanup) => cleanups.push(cleanup));
    const url = `git://127.0.0.1:${port}/remote.git`;
    // No background fetch: what replica a learns of b's write, it learns from its train's own fetch.
    const replica = (name: string) =>
      startService(dir, {
        MANIFEST_REPO_URL: url,
        MANIFEST_REPO_PATH: join(dir, `clone-${name}`),
        MANIFEST_REPO_FETCH_INTERVAL_SECONDS: '3600',
      }).listening;
    const [a, b] = await Promise.all([replica('a'), replica('b')]);

    const approved = await send(`${a}${PROGNOSIS}`);
    expect(approved.status).toBe(200);
    expect(appPrognosis(approved, PROD_TARGET, DEPLOYED_APP)).toEqual({ deployedVersion: { version: 3 } });
    const unrelated = await send(
      `${b}/api/environments/dev/locks/elsewhere`,
      'PUT',
      {},
      { message: 'not prod' },
    );
    const locked = await send(
      `${b}/api/environments/${PROD_TARGET}/applications/${DEPLOYED_APP}/locks/hold`,
      'PUT',
      {},
      { message: 'wait' },
    );
    expect([unrelated.status, locked.status]).toEqual([200, 200]);
    const afterLock = git(remote, ['rev-parse', 'main']).trim();

    const refused = await send(`${a}${TRAIN}`, 'PUT', { 'if-match': approved.etag as string });
    expect(refused.status).toBe(412);
    expect(refused.json.code).toBe('PLAN_CHANGED');
    expect(refused.json.currentPlanId).not.toBe(approved.etag?.slice(1, -1));
    expect(appPrognosis(refused, PROD_TARGET, DEPLOYED_APP)).toMatchObject({ skipCause: 'APP_IS_LOCKED' });
    expect(git(remote, ['rev-parse', 'main']).trim()).toBe(afterLock);

    // The current plan, approved: it runs, and leaves the locked app alone.
    const train = await send(`${a}${TRAIN}`, 'PUT', { 'if-match': `"${refused.json.currentPlanId}"` });
    expect(train.status).toBe(200);
    expect(train.json.planId).toBe(refused.json.currentPlanId);
    expect(train.etag).toBe(`"${refused.json.currentPlanId}"`);
    expect(train.json.envsPrognoses).toEqual(refused.json.envsPrognoses);
    expect(git(remote, ['rev-parse', 'main']).trim()).toBe(train.json.commitId);
    expect(git(remote, ['rev-parse', 'main^']).trim()).toBe(afterLock);
    const versionOf = (app: string) =>
      git(remote, ['cat-file', '-p', `main:environments/${PROD_TARGET}/applications/${app}/version`]);
    expect(versionOf(DEPLOYED_APP)).toMatch(/releases\/1$/);
    expect(versionOf(appName(2))).toMatch(/releases\/3$/);
  }, 60_000);

  it('a push that loses the race while the git server holds it: the re-plan is held to If-Match', async () => {
    const dir = await tempDir();
    const remote = join(dir, 'remote.git');
    await generateWorkload(remote, WORLD);
    const hook = holdingHook(dir, 'true');
    await writeFile(join(remote, 'hooks', 'pre-receive'), hook.script);
    await chmod(join(remote, 'hooks', 'pre-receive'), 0o755);
    const port = await startGitDaemon(dir, (cleanup) => cleanups.push(cleanup));
    const url = `git://127.0.0.1:${port}/remote.git`;
    const base = await startService(dir, {
      MANIFEST_REPO_URL: url,
      MANIFEST_REPO_PATH: join(dir, 'clone'),
      MANIFEST_REPO_FETCH_INTERVAL_SECONDS: '3600',
    }).listening;
    const outside = join(dir, 'outside');
    execFileSync('git', ['clone', '--quiet', url, outside], { env: gitEnvironment() });
    /** While the service's push is held in pre-receive, a person pushes `path`; then the hold ends. */
    const raceWith = async (path: string, ifMatch: string) => {
      await writeFile(hook.armed, '');
      const train = send(`${base}${TRAIN}`, 'PUT', { 'if-match': ifMatch });
      await waitUntil(() => existsSync(hook.holding));
      git(outside, ['pull', '--quiet', '--ff-only']);
      await mkdir(dirname(join(outside, path)), { recursive: true });
      await writeFile(join(outside, path), 'from outside\n');
      git(outside, ['add', '.']);
      git(outside, [
        '-c',
        'user.name=Someone',
        '-c',
        'user.email=someone@example.com',
        'commit',
        '--quiet',
        '-m',
        'outside',
      ]);
      git(outside, ['push', '--quiet', 'origin', 'HEAD:main']);
      const pushed = git(outside, ['rev-parse', 'HEAD']).trim();
      await writeFile(hook.open, '');
      const answer = await train;
      await unlink(hook.open);
      await unlink(hook.holding);
      return { answer, pushed };
    };

    const start = git(remote, ['rev-parse', 'main']).trim();
    const approved = await send(`${base}${PROGNOSIS}`);
    const locked = await raceWith(appLockPath(PROD_TARGET, DEPLOYED_APP, 'race'), approved.etag as string);
    expect(locked.answer.status).toBe(412);
    expect(locked.answer.json.code).toBe('PLAN_CHANGED');
    expect(appPrognosis(locked.answer, PROD_TARGET, DEPLOYED_APP)).toMatchObject({
      skipCause: 'APP_IS_LOCKED',
    });
    // The service pushed once (held, then refused), the person once; the re-plan pushed nothing.
    expect(await runsOf(hook.runs)).toBe(2);
    expect(git(remote, ['rev-parse', 'main']).trim()).toBe(locked.pushed);
    expect(trainCommits(remote, start)).toEqual([]);

    // The plan with the lock, approved; the race is lost to a change elsewhere: the same plan runs on the new tip.
    const reapproved = await send(`${base}${PROGNOSIS}`);
    expect(reapproved.etag).toBe(`"${locked.answer.json.currentPlanId}"`);
    const elsewhere = await raceWith('environments/dev/locks/elsewhere/message', reapproved.etag as string);
    expect(elsewhere.answer.status).toBe(200);
    expect(elsewhere.answer.json.planId).toBe(locked.answer.json.currentPlanId);
    expect(await runsOf(hook.runs)).toBe(5);
    expect(git(remote, ['rev-parse', 'main']).trim()).toBe(elsewhere.answer.json.commitId);
    expect(git(remote, ['rev-parse', 'main^']).trim()).toBe(elsewhere.pushed);
    expect(trainCommits(remote, start)).toHaveLength(1);
  }, 60_000);

  it('a local compare-and-swap that loses to a commit made meanwhile: the re-plan is held to If-Match', async () => {
    const dir = await tempDir();
    const repo = join(dir, 'repo');
    await generateWorkload(repo, WORLD);
    // Holds the service's write after fast-import made its commit (on the write's scratch ref),
    // before the branch's compare-and-swap: a commit made then moves the branch under it.
    const hook = holdingHook(
      dir,
      `[ "$1" = committed ] && printf '%s\\n' "$input" | grep -q ' refs/trainyard/pending/'`,
    );
    await writeFile(join(repo, 'hooks', 'reference-transaction'), hook.script);
    await chmod(join(repo, 'hooks', 'reference-transaction'), 0o755);
    const base = await startService(dir, { MANIFEST_REPO_PATH: repo }).listening;
    const raceWith = async (path: string, ifMatch: string) => {
      await writeFile(hook.armed, '');
      const train = send(`${base}${TRAIN}`, 'PUT', { 'if-match': ifMatch });
      await waitUntil(() => existsSync(hook.holding));
      const committed = outsideCommit(repo, path, 'made with git meanwhile\n');
      await writeFile(hook.open, '');
      const answer = await train;
      await unlink(hook.open);
      await unlink(hook.holding);
      return { answer, committed };
    };

    const start = git(repo, ['rev-parse', 'main']).trim();
    const approved = await send(`${base}${PROGNOSIS}`);
    const locked = await raceWith(appLockPath(PROD_TARGET, DEPLOYED_APP, 'race'), approved.etag as string);
    expect(locked.answer.status).toBe(412);
    expect(appPrognosis(locked.answer, PROD_TARGET, DEPLOYED_APP)).toMatchObject({
      skipCause: 'APP_IS_LOCKED',
    });
    expect(git(repo, ['rev-parse', 'main']).trim()).toBe(locked.committed);
    expect(trainCommits(repo, start)).toEqual([]);

    const reapproved = await send(`${base}${PROGNOSIS}`);
    expect(reapproved.etag).toBe(`"${locked.answer.json.currentPlanId}"`);
    const elsewhere = await raceWith('environments/dev/locks/elsewhere/message', reapproved.etag as string);
    expect(elsewhere.answer.status).toBe(200);
    expect(elsewhere.answer.json.planId).toBe(locked.answer.json.currentPlanId);
    expect(git(repo, ['rev-parse', 'main']).trim()).toBe(elsewhere.answer.json.commitId);
    expect(git(repo, ['rev-parse', 'main^']).trim()).toBe(elsewhere.committed);
    expect(trainCommits(repo, start)).toHaveLength(1);
  }, 60_000);
});
