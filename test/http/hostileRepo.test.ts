// The API over a manifest repo that anything may have been pushed to (issue 11): huge blobs,
// malformed trees, entries that are not what the layout says, names that break the naming rules,
// configs nested thousands deep, a reader process that dies. Hostile objects are made with real
// git; what is checked is what a client sees: the answer, the overview's problems, the branch tip.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harnessPerTest, startHarness } from '../support/appHarness.js';
import { createFixtureRepo, git } from '../support/gitFixture.js';
import {
  blobEntry,
  commitEdits,
  malformedTree,
  type RawEntry,
  submoduleEntry,
  type TreeEdit,
  treeEntry,
  writeBlob,
} from '../support/hostileGit.js';
import { AUTHOR_HEADERS, expectError } from '../support/httpExpectations.js';
import { fieldsBody } from '../support/multipart.js';
import { catFileProcesses, processGone } from '../support/processes.js';
import { killAllServices, startService } from '../support/serviceProcess.js';
import { WORLD } from './world.js';

const start = harnessPerTest();
const MiB = 1024 * 1024;

/** The harness over WORLD with these edits committed on top, as an outside push would. */
async function hostile(edits: (path: string) => readonly TreeEdit[]): Promise<Harness> {
  const harness = await start(WORLD);
  commitEdits(harness.fixture.path, edits(harness.fixture.path));
  return harness;
}

const text = (path: string, content: string | Buffer): RawEntry => blobEntry(writeBlob(path, content));
const treeAt = (path: string, revision: string): RawEntry =>
  treeEntry(git(path, ['rev-parse', `main:${revision}`]).trim());

function train(harness: Harness, url: string) {
  return harness.app.inject({ method: 'PUT', url, headers: AUTHOR_HEADERS });
}

async function problems(harness: Harness): Promise<{ file: string; reason: string }[]> {
  const overview = await harness.app.inject({ url: '/api/overview' });
  expect(overview.statusCode, overview.body).toBe(200);
  return overview.json().problems;
}

/** A group train over `prod` answers MANIFEST_REPO_CORRUPT naming `file`, and writes nothing. */
async function expectGroupTrainRefused(harness: Harness, file: string): Promise<void> {
  const before = harness.fixture.tip();
  const prognosis = await harness.app.inject({ url: '/api/environment-groups/prod/releasetrain/prognosis' });
  expect(expectError(prognosis, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(file);
  const response = await train(harness, '/api/environment-groups/prod/releasetrain');
  expect(expectError(response, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(file);
  expect(harness.fixture.tip()).toBe(before);
}

describe('a large blob', () => {
  it('is MANIFEST_REPO_CORRUPT naming the file, not read whole, while /healthz answers', async () => {
    const harness = await hostile((path) => [
      {
        path: ['environments', 'prod-ca', 'locks', 'big', 'message'],
        entry: text(path, Buffer.alloc(24 * MiB, 'm')),
      },
    ]);
    const [prognosis, health] = await Promise.all([
      harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' }),
      harness.app.inject({ url: '/healthz' }),
    ]);
    expect(health.statusCode).toBe(200);
    const body = expectError(prognosis, 500, 'MANIFEST_REPO_CORRUPT');
    expect(body.message).toContain('environments/prod-ca/locks/big/message');
    expect(body.message).toContain(`${24 * MiB} bytes`);

    const overview = await harness.app.inject({ url: '/api/overview' });
    expect(overview.statusCode).toBe(200);
    expect(overview.body.length).toBeLessThan(MiB);
    expect(overview.json().problems).toContainEqual({
      file: 'environments/prod-ca/locks/big/message',
      reason: `is ${24 * MiB} bytes, more than the ${MiB} bytes this file may have`,
    });
    const before = harness.fixture.tip();
    expectError(await train(harness, '/api/environments/prod-ca/releasetrain'), 500, 'MANIFEST_REPO_CORRUPT');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('in a deployed_by file is listed by the overview instead of being sent', async () => {
    const harness = await hostile((path) => [
      {
        path: ['environments', 'dev', 'applications', 'checkout', 'deployed_by'],
        entry: text(path, 'x'.repeat(MiB + 1)),
      },
    ]);
    const overview = await harness.app.inject({ url: '/api/overview' });
    expect(overview.statusCode).toBe(200);
    expect(overview.json().problems).toEqual([
      {
        file: 'environments/dev/applications/checkout/deployed_by',
        reason: `is ${MiB + 1} bytes, more than the ${MiB} bytes this file may have`,
      },
    ]);
  });
});

describe('a malformed tree', () => {
  afterEach(killAllServices);

  it('is MANIFEST_REPO_CORRUPT naming the tree, and the process keeps answering /healthz', async () => {
    // A real process: a parser that loops for good would stop it, not the test.
    const fixture = await createFixtureRepo(WORLD);
    commitEdits(fixture.path, [
      { path: ['environments', 'prod-ca', 'locks'], entry: treeEntry(malformedTree(fixture.path)) },
    ]);
    const service = startService(fixture.path, { MANIFEST_REPO_PATH: fixture.path });
    const url = await service.listening;
    const prognosis = await fetch(`${url}/api/environments/prod-ca/releasetrain/prognosis`);
    expect(prognosis.status).toBe(500);
    const body = (await prognosis.json()) as { code: string; message: string };
    expect(body.code).toBe('MANIFEST_REPO_CORRUPT');
    expect(body.message).toContain('environments/prod-ca/locks: malformed git tree');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const overview = await fetch(`${url}/api/overview`);
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { problems: { file: string }[] }).problems).toContainEqual({
      file: 'environments/prod-ca/locks',
      reason: expect.stringMatching(/^malformed git tree/),
    });
    expect((await fetch(`${url}/api/environments/dev/releasetrain/prognosis`)).status).toBe(200);
  });

  it('as an environment refuses the group train, and trains to sound environments go on', async () => {
    const harness = await hostile((path) => [
      { path: ['environments', 'prod-xx'], entry: treeEntry(malformedTree(path)) },
    ]);
    await expectGroupTrainRefused(harness, 'environments/prod-xx');
    expect(await problems(harness)).toEqual([
      { file: 'environments/prod-xx', reason: expect.stringMatching(/^malformed git tree/) },
    ]);
    const single = await train(harness, '/api/environments/prod-ca/releasetrain');
    expect(single.statusCode, single.body).toBe(200);
    expect(single.json().commitId).toBe(harness.fixture.tip());
  });

  it('at the root is MANIFEST_REPO_CORRUPT for every read', async () => {
    const harness = await start(WORLD);
    const root = malformedTree(harness.fixture.path);
    const tip = harness.fixture.tip();
    const commit = git(harness.fixture.path, ['commit-tree', root, '-p', tip, '-m', 'broken root']).trim();
    git(harness.fixture.path, ['update-ref', 'refs/heads/main', commit]);
    const overview = await harness.app.inject({ url: '/api/overview' });
    expect(expectError(overview, 500, 'MANIFEST_REPO_CORRUPT').message).toContain('/: malformed git tree');
    expect((await harness.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('the reader process', () => {
  it('is replaced when it was killed: the next request is answered', async () => {
    const harness = await start(WORLD);
    const url = '/api/environments/prod-ca/releasetrain/prognosis';
    expect((await harness.app.inject({ url })).statusCode).toBe(200);
    const [reader, ...others] = catFileProcesses(harness.fixture.path);
    expect(others).toEqual([]);
    process.kill(reader as number, 'SIGKILL');
    await processGone(reader as number);
    // An outside commit, so that the next request reads through the reader again.
    harness.fixture.commit({ 'environments/prod-ca/locks/outside/message': 'made with git' });
    const after = await harness.app.inject({ url });
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json().envsPrognoses['prod-ca'].skipCause).toBe('ENV_IS_LOCKED');
    expect((await harness.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('never keeps a failed read: once the object is back, the same commit reads', async () => {
    const harness = await start(WORLD);
    const tree = git(harness.fixture.path, ['rev-parse', 'main:environments/prod-ca']).trim();
    const restore = breakObject(harness.fixture.path, tree);
    const url = '/api/environments/prod-ca/releasetrain/prognosis';
    expect((await harness.app.inject({ url })).statusCode).toBe(500);
    expect((await harness.app.inject({ url })).statusCode).toBe(500);
    restore();
    expect((await harness.app.inject({ url })).statusCode).toBe(200);
  });

  it('is what /readyz reads through: 503 while the tip cannot be read, 200 once it can', async () => {
    const harness = await start(WORLD);
    expect((await harness.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const restore = breakObject(
      harness.fixture.path,
      git(harness.fixture.path, ['rev-parse', 'main^{tree}']).trim(),
    );
    expectError(await harness.app.inject({ url: '/readyz' }), 503, 'REPO_BUSY');
    restore();
    expect((await harness.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('serves the first requests after start from one cold read', async () => {
    const one = await startHarness(WORLD);
    let oneRead: number;
    try {
      await one.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
      oneRead = one.repo.objectsRead;
    } finally {
      await one.close();
    }
    const eight = await start(WORLD);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        eight.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(8).fill(200));
    expect(eight.repo.objectsRead).toBe(oneRead);
  });
});

/** Overwrites a loose object with garbage (git then cannot read it); returns the undo. */
function breakObject(repoPath: string, oid: string): () => void {
  const file = join(repoPath, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
  const saved = readFileSync(file);
  chmodSync(file, 0o644);
  writeFileSync(file, 'not a git object');
  return () => writeFileSync(file, saved);
}

describe('structure that breaks the layout', () => {
  it('an environment that is a file refuses the group train and is listed', async () => {
    const harness = await hostile((path) => [{ path: ['environments', 'prod-zz'], entry: text(path, 'x') }]);
    await expectGroupTrainRefused(harness, 'environments/prod-zz');
    expect(await problems(harness)).toEqual([
      { file: 'environments/prod-zz', reason: 'a file where a directory belongs' },
    ]);
    expectError(
      await harness.app.inject({ url: '/api/environments/prod-zz/releasetrain/prognosis' }),
      500,
      'MANIFEST_REPO_CORRUPT',
    );
  });

  it('an environment that is a submodule entry refuses the group train and is listed', async () => {
    const harness = await hostile(() => []);
    commitEdits(harness.fixture.path, [
      { path: ['environments', 'prod-zz'], entry: submoduleEntry(harness.fixture.tip()) },
    ]);
    await expectGroupTrainRefused(harness, 'environments/prod-zz');
    expect(await problems(harness)).toEqual([
      { file: 'environments/prod-zz', reason: 'a submodule entry (mode 160000) where a directory belongs' },
    ]);
    // A lock there would write over it.
    const before = harness.fixture.tip();
    const lock = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-zz/locks/hold',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: { message: 'x' },
    });
    expectError(lock, 500, 'MANIFEST_REPO_CORRUPT');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('`environments` as a file is MANIFEST_REPO_CORRUPT for trains and writes, not 404', async () => {
    const harness = await hostile((path) => [{ path: ['environments'], entry: text(path, 'x') }]);
    const before = harness.fixture.tip();
    const prognosis = await harness.app.inject({ url: '/api/environments/dev/releasetrain/prognosis' });
    expect(expectError(prognosis, 500, 'MANIFEST_REPO_CORRUPT').message).toContain('environments: a file');
    const environment = await harness.app.inject({
      method: 'POST',
      url: '/api/environments/dev',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: { upstream: { latest: true } },
    });
    expectError(environment, 500, 'MANIFEST_REPO_CORRUPT');
    expect(harness.fixture.tip()).toBe(before);
    expect(await problems(harness)).toEqual([
      { file: 'environments', reason: 'a file where a directory belongs' },
    ]);
  });

  it('`applications` as a file is MANIFEST_REPO_CORRUPT and never written over', async () => {
    const harness = await hostile((path) => [{ path: ['applications'], entry: text(path, 'x') }]);
    const before = harness.fixture.tip();
    expectError(await train(harness, '/api/environments/dev/releasetrain'), 500, 'MANIFEST_REPO_CORRUPT');
    const form = fieldsBody({ application: 'checkout', 'manifests[dev]': 'kind: Deployment\n' });
    const release = await harness.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { ...AUTHOR_HEADERS, 'content-type': form.contentType },
      payload: form.payload,
    });
    expect(expectError(release, 500, 'MANIFEST_REPO_CORRUPT').message).toContain('applications: a file');
    const lock = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/dev/locks/hold',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: { message: 'x' },
    });
    expectError(lock, 500, 'MANIFEST_REPO_CORRUPT');
    expect(harness.fixture.tip()).toBe(before);
    // (With no releases to be found, every version symlink is listed too.)
    expect(await problems(harness)).toContainEqual({
      file: 'applications',
      reason: 'a file where a directory belongs',
    });
  });

  it('a release manifests.yaml that is a directory is MANIFEST_REPO_CORRUPT, not "not in env"', async () => {
    const file = 'applications/checkout/releases/3/environments/prod-ca/manifests.yaml';
    const harness = await hostile((path) => [
      { path: file.split('/'), entry: treeAt(path, 'applications/checkout/releases/3/environments') },
    ]);
    const before = harness.fixture.tip();
    const deployment = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/applications/checkout/deployment',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: { version: 3, lockBehavior: 'ignore' },
    });
    expect(expectError(deployment, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(file);
    expect(harness.fixture.tip()).toBe(before);
  });

  it('an app entry in an environment that is a file is MANIFEST_REPO_CORRUPT for what needs it', async () => {
    const harness = await hostile((path) => [
      { path: ['environments', 'prod-ca', 'applications', 'docs'], entry: text(path, 'x') },
    ]);
    const before = harness.fixture.tip();
    const lock = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/applications/docs/locks/hold',
      headers: { ...AUTHOR_HEADERS, 'content-type': 'application/json' },
      payload: { message: 'x' },
    });
    expect(expectError(lock, 500, 'MANIFEST_REPO_CORRUPT').message).toContain(
      'environments/prod-ca/applications/docs',
    );
    expect(harness.fixture.tip()).toBe(before);
    expect(await problems(harness)).toEqual([
      { file: 'environments/prod-ca/applications/docs', reason: 'a file where a directory belongs' },
    ]);
  });
});

describe('names that break the naming rules', () => {
  it('an environment Bad_Env is listed, never planned, and refuses group trains', async () => {
    const harness = await hostile((path) => [
      { path: ['environments', 'Bad_Env'], entry: treeAt(path, 'environments/prod-ca') },
    ]);
    const prognosis = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    expect(prognosis.statusCode).toBe(200);
    expect(prognosis.body).not.toContain('Bad_Env');
    await expectGroupTrainRefused(harness, 'environments/Bad_Env');
    expect(await problems(harness)).toEqual([
      { file: 'environments/Bad_Env', reason: expect.stringMatching(/^not a valid environment name/) },
    ]);
  });

  it('an app with a newline in its name is listed, and no train plans or writes it', async () => {
    const harness = await hostile((path) => [
      { path: ['applications', 'evil\nRequest-Id: forged'], entry: treeAt(path, 'applications/checkout') },
      {
        path: ['environments', 'staging', 'applications', 'evil\nRequest-Id: forged'],
        entry: treeAt(path, 'environments/staging/applications/checkout'),
      },
    ]);
    expect(await problems(harness)).toEqual([
      {
        file: 'applications/evil\\u000aRequest-Id: forged',
        reason: expect.stringMatching(/^not a valid application name/),
      },
      {
        file: 'environments/staging/applications/evil\\u000aRequest-Id: forged',
        reason: expect.stringMatching(/^not a valid application name/),
      },
    ]);
    for (const url of [
      '/api/environments/dev/releasetrain/prognosis',
      '/api/environments/prod-ca/releasetrain/prognosis',
    ]) {
      const prognosis = await harness.app.inject({ url });
      expect(prognosis.statusCode, prognosis.body).toBe(200);
      expect(prognosis.body).not.toContain('evil');
    }
    const response = await train(harness, '/api/environments/prod-ca/releasetrain');
    expect(response.statusCode, response.body).toBe(200);
    const tip = harness.fixture.tip();
    expect(response.json().commitId).toBe(tip);
    expect(harness.fixture.git(['cat-file', 'commit', tip])).not.toContain('evil');
    expect(harness.fixture.git(['ls-tree', '-r', '--name-only', tip, 'environments/prod-ca'])).not.toContain(
      'evil',
    );
    const metrics = await harness.app.inject({ url: '/metrics' });
    expect(metrics.body).not.toContain('evil');
  });
});

describe('JSON nested thousands deep', () => {
  const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('in a config.json from outside is listed by the overview, which answers', async () => {
    const harness = await hostile((path) => [
      { path: ['environments', 'deep', 'config.json'], entry: text(path, deep(10_000)) },
    ]);
    expect(await problems(harness)).toEqual([
      { file: 'environments/deep/config.json', reason: 'nests more than 32 levels deep' },
    ]);
  });
});
