// Every kuberpult-client subcommand as a pipeline calls it, with Kuberpult's flag grammar: the
// trainyard process against the app on 127.0.0.1, its effect checked in git. Server errors exit 1.
// (Trains and prognoses: cli.test.ts.)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WORLD } from '../http/world.js';
import { base64, type Harness, startHarness } from '../support/appHarness.js';
import { runCli, stopCliProcesses } from '../support/cliProcess.js';
import { layoutFiles } from '../support/layout.js';

const COMMIT = '0123abcdef0123abcdef0123abcdef0123abcdef';
const PREVIOUS = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const DEV_MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout-dev\n';
const STAGING_MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout-staging\n';

let files: string;
beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'trainyard-cli-'));
  await writeFile(join(files, 'dev.yaml'), DEV_MANIFEST);
  await writeFile(join(files, 'staging.yaml'), STAGING_MANIFEST);
});
afterAll(async () => {
  await rm(files, { recursive: true, force: true });
});
afterEach(stopCliProcesses);

describe('every subcommand against the app', () => {
  let harness: Harness;
  let url: string;
  const git = (...args: string[]) => harness.fixture.git(args);
  const exists = (path: string) => harness.fixture.modeOf(path) !== undefined;
  const author = () => git('log', '-1', '--format=%an <%ae>', 'main').trim();
  const subject = () => git('log', '-1', '--format=%s', 'main').trim();

  beforeEach(async () => {
    harness = await startHarness(WORLD);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await harness.close();
  });

  it('release with every field, then get-deployment-commit and get-commit-deployments --out', async () => {
    const released = await runCli([
      `-url=${url}`,
      '-author_name',
      'CI Bot',
      '--author_email=ci@example.com',
      'release',
      '-application',
      'checkout',
      '--environment',
      'dev',
      '--manifest',
      join(files, 'dev.yaml'),
      '-environment=staging',
      `-manifest=${join(files, 'staging.yaml')}`,
      '--team',
      'shop',
      '--source_commit_id',
      COMMIT,
      '--previous_commit_id',
      PREVIOUS,
      '--source_author',
      'Ana Lima <ana@example.com>',
      '--source_message',
      'Add the basket (#42)',
      '--display_version',
      '1.4.0',
      '--ci_link',
      'https://ci.example.com/pipelines/7',
      '--skip_signatures',
      '--use_dex_auth',
    ]);
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect(released.stdout).toBe("Created release 4 of 'checkout'\n");
    const release = 'applications/checkout/releases/4';
    expect(harness.fixture.show(`${release}/environments/dev/manifests.yaml`)).toBe(DEV_MANIFEST);
    expect(harness.fixture.show(`${release}/environments/staging/manifests.yaml`)).toBe(STAGING_MANIFEST);
    expect(harness.fixture.show(`${release}/source_commit_id`)).toBe(COMMIT);
    expect(harness.fixture.show(`${release}/source_author`)).toBe('Ana Lima <ana@example.com>');
    expect(harness.fixture.show(`${release}/display_version`)).toBe('1.4.0');
    // dev takes the newest release.
    expect(harness.fixture.show('environments/dev/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/4',
    );
    expect(author()).toBe('CI Bot <ci@example.com>');
    expect(git('log', '-1', '--format=%(trailers:key=Ci-Link,valueonly)', 'main').trim()).toBe(
      'https://ci.example.com/pipelines/7',
    );

    // The answer as Kuberpult's client prints it: the body, whatever --json says.
    const commit = await runCli([
      '--url',
      url,
      'get-deployment-commit',
      '-environment',
      'dev',
      '-application',
      'checkout',
    ]);
    expect(commit.code).toBe(0);
    expect(JSON.parse(commit.stdout)).toEqual({
      author: 'Ana Lima <ana@example.com>',
      commit_id: COMMIT,
      commit_message: 'Add the basket (#42)',
    });

    const out = join(files, 'deployments.json');
    const deployments = await runCli([
      '--url',
      url,
      'get-commit-deployments',
      '--commit',
      COMMIT,
      '--out',
      out,
    ]);
    expect(deployments).toMatchObject({ code: 0, stdout: '' });
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      deploymentStatus: { checkout: { deploymentStatus: { dev: 'DEPLOYED', staging: 'PENDING' } } },
    });
  });

  it('a release whose version exists with other manifests exits 1 and writes nothing', async () => {
    const args = (manifest: string) => [
      '--url',
      url,
      'release',
      '--application',
      'checkout',
      '--version',
      '3',
      '--environment',
      'dev',
      '--manifest',
      join(files, manifest),
    ];
    const before = harness.fixture.tip();
    const conflict = await runCli(args('dev.yaml'));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      "answered 409: Release 3 of 'checkout' already exists with other manifests. (RELEASE_CONFLICT)",
    );
    expect(harness.fixture.tip()).toBe(before);
  });

  it('creates and deletes environment, application, team and group locks', async () => {
    const lockFiles = (path: string) => git('ls-tree', '--name-only', 'main', `${path}/`).trim().split('\n');
    const steps: [string[], string, string][] = [
      [
        [
          'create-env-lock',
          '-environment',
          'dev',
          '-lockID',
          'tests',
          '-message',
          'system tests running',
          '-suggested_lifetime',
          '2h',
        ],
        'environments/dev/locks/tests',
        "Created lock 'tests' on environment 'dev'",
      ],
      [
        [
          'create-app-lock',
          '--environment=dev',
          '--application=checkout',
          '--lockID=hold',
          '--ci_link=https://ci.example.com/1',
        ],
        'environments/dev/applications/checkout/locks/hold',
        "Created lock 'hold' on application 'checkout' in environment 'dev'",
      ],
      [
        [
          'create-team-lock',
          '--environment',
          'staging',
          '--team',
          'shop',
          '--lockID',
          'audit',
          '--message',
          'audit week',
        ],
        'environments/staging/teams/shop/locks/audit',
        "Created lock 'audit' on team 'shop' in environment 'staging'",
      ],
      [
        [
          'create-group-lock',
          '--environment-group',
          'prod',
          '--lockID',
          'xmas-2026',
          '--message',
          'code freeze',
        ],
        'environments/prod-ca/locks/xmas-2026',
        "Created lock 'xmas-2026' on environment group 'prod'",
      ],
    ];
    for (const [args, path, said] of steps) {
      const run = await runCli([
        '--url',
        url,
        '--author_name',
        'Ana',
        '--author_email',
        'ana@example.com',
        ...args,
      ]);
      expect(run.stderr, args[0]).toBe('');
      expect(run.stdout).toBe(`${said}\n`);
      expect(lockFiles(path)).toContain(`${path}/created_at`);
      expect(author()).toBe('Ana <ana@example.com>');
    }
    expect(harness.fixture.show('environments/dev/locks/tests/message')).toBe('system tests running');
    expect(harness.fixture.show('environments/dev/locks/tests/suggested_lifetime')).toBe('2h');
    expect(harness.fixture.show('environments/dev/applications/checkout/locks/hold/message')).toBe('');
    expect(harness.fixture.show('environments/dev/applications/checkout/locks/hold/ci_link')).toBe(
      'https://ci.example.com/1',
    );
    // A group lock is the lock in each environment of the group.
    for (const environment of ['prod-au', 'prod-br', 'prod-de', 'prod-jp', 'prod-us']) {
      expect(exists(`environments/${environment}/locks/xmas-2026/message`), environment).toBe(true);
    }

    const deletions: [string[], string][] = [
      [['delete-env-lock', '-environment', 'dev', '-lockID', 'tests'], 'environments/dev/locks/tests'],
      [
        ['delete-app-lock', '-environment', 'dev', '-application', 'checkout', '-lockID', 'hold'],
        'environments/dev/applications/checkout/locks/hold',
      ],
      [
        ['delete-team-lock', '-environment', 'staging', '-team', 'shop', '-lockID', 'audit'],
        'environments/staging/teams/shop/locks/audit',
      ],
      [
        ['delete-group-lock', '-environment-group', 'prod', '-lockID', 'xmas-2026'],
        'environments/prod-ca/locks/xmas-2026',
      ],
    ];
    for (const [args, path] of deletions) {
      const run = await runCli(['--url', url, ...args]);
      expect(run.stderr, args[0]).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Deleted lock '/);
      expect(exists(path), path).toBe(false);
    }
    // A lock that is not there: the server's 404, exit 1.
    const again = await runCli(['--url', url, 'delete-env-lock', '-environment', 'dev', '-lockID', 'tests']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('answered 404');
    expect(again.stderr).toContain('(LOCK_NOT_FOUND)');
  });

  it('create-group-lock with --valid_from and --valid_until: a freeze planned ahead, not in force yet', async () => {
    const run = await runCli([
      '--url',
      url,
      'create-group-lock',
      '--environment-group',
      'prod',
      '--lockID',
      'xmas',
      '--message',
      'holiday freeze',
      '--valid_from',
      '2026-12-20T00:00:00+01:00',
      '--valid_until=2027-01-02T00:00:00+01:00',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "Created lock 'xmas' on environment group 'prod', in force from 2026-12-19T23:00:00.000Z until 2027-01-01T23:00:00.000Z (not in force now)\n",
    );
    expect(harness.fixture.show('environments/prod-de/locks/xmas/valid_from')).toBe(
      '2026-12-19T23:00:00.000Z',
    );
    expect(harness.fixture.show('environments/prod-de/locks/xmas/valid_until')).toBe(
      '2027-01-01T23:00:00.000Z',
    );

    // An interval already over: the server's 400, exit 1, nothing written.
    const before = harness.fixture.tip();
    const over = await runCli([
      '--url',
      url,
      'create-env-lock',
      '--environment',
      'dev',
      '--lockID',
      'old',
      '--valid_until',
      '2020-01-01T00:00:00Z',
    ]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain('validUntil 2020-01-01T00:00:00Z is not in the future');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('delete-environment removes one that nothing takes versions from, and exits 1 for one in use', async () => {
    const deleted = await runCli([
      '--url',
      url,
      '--author_name',
      'Ana',
      'delete-environment',
      '--environment',
      'prod-us',
    ]);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted environment 'prod-us' (commit ${harness.fixture.tip()})\n`);
    expect(exists('environments/prod-us')).toBe(false);
    expect(subject()).toBe('Deleted environment "prod-us"');

    const before = harness.fixture.tip();
    const inUse = await runCli(['--url', url, 'delete-environment', '--environment', 'dev']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain(
      "answered 409: Environment 'dev' is the upstream of 'staging': delete or re-point those first. (ENVIRONMENT_IN_USE)",
    );
    expect(harness.fixture.tip()).toBe(before);
  });

  it('get-deployment-commit exits 1 where the app is not deployed', async () => {
    const run = await runCli([
      '--url',
      url,
      'get-deployment-commit',
      '--environment',
      'prod-us',
      '--application',
      'checkout',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("answered 404: 'checkout' is not deployed in 'prod-us'. (NOT_DEPLOYED)");
  });
});

describe('what trainyard sends', () => {
  let server: Server | undefined;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let answer: (attempt: number) => [number, string] = () => [200, '{}'];
  let url = '';
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('latin1');
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        const [status, text] = answer(seen.length);
        response.writeHead(status, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    seen.length = 0;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("a release as a multipart form like Kuberpult's, with the IAP token, dex token and client uuid", async () => {
    answer = () => [201, '{"application":"checkout","version":12}'];
    const run = await runCli(
      [
        '--url',
        `${url}/`,
        '--client_uuid',
        '6f1c-42',
        'release',
        '--application',
        'checkout',
        '--environment',
        'dev',
        '--manifest',
        join(files, 'dev.yaml'),
        '--version',
        '12',
      ],
      { KUBERPULT_IAP_TOKEN: 'iap-token', KUBERPULT_DEX_ACCESS_TOKEN: 'dex-token' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("Created release 12 of 'checkout'\n");
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/api/release');
    expect(request?.headers['proxy-authorization']).toBe('Bearer iap-token');
    expect(request?.headers.authorization).toBe('Bearer dex-token');
    expect(request?.headers['client-uuid']).toBe('6f1c-42');
    expect(request?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.body).toContain('name="application"\r\n\r\ncheckout\r\n');
    expect(request?.body).toContain(`name="manifests[dev]"; filename="dev-manifest"`);
    expect(request?.body).toContain(`\r\n\r\n${DEV_MANIFEST}\r\n`);
    expect(request?.body).toContain('name="version"\r\n\r\n12\r\n');
    // Tokens are never printed.
    expect(run.stdout + run.stderr).not.toContain('token');
  });

  it('retries a release with --version, but not one the server numbers, after a 500', async () => {
    answer = () => [
      500,
      '{"statusCode":500,"error":"Internal Server Error","message":"boom","code":"INTERNAL_ERROR"}',
    ];
    const release = [
      'release',
      '--application',
      'checkout',
      '--environment',
      'dev',
      '--manifest',
      join(files, 'dev.yaml'),
    ];
    const numbered = await runCli(['--url', url, '--retries', '2', ...release]);
    expect(numbered.code).toBe(1);
    expect(seen).toHaveLength(1);
    expect(numbered.stderr).toContain(
      'answered 500: boom (INTERNAL_ERROR) (not retried: the release may have been created)',
    );

    seen.length = 0;
    const versioned = await runCli(['--url', url, '--retries', '2', ...release, '--version', '5']);
    expect(versioned.code).toBe(1);
    expect(seen).toHaveLength(3);
    expect(versioned.stderr).toContain('(gave up after 3 attempts)');
  });

  it('locks as JSON on the /api/ paths, author headers in base64, deletions without a body', async () => {
    answer = () => [200, '{}'];
    const create = await runCli([
      '--url',
      url,
      '--author_name',
      'Zoë',
      'create-team-lock',
      '-environment',
      'dev',
      '-team',
      'shop',
      '-lockID',
      'audit',
      '-message',
      'audit week',
      '-ci_link',
      'https://ci.example.com/2',
      '-suggested_lifetime',
      '1w',
      '-valid_from',
      '2026-12-20T00:00:00Z',
      '-valid_until',
      '2027-01-02T00:00:00+01:00',
    ]);
    expect(create.code).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/environments/dev/lock/team/shop/audit' });
    expect(seen[0]?.headers['author-name']).toBe(base64('Zoë'));
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      message: 'audit week',
      ciLink: 'https://ci.example.com/2',
      suggestedLifetime: '1w',
      validFrom: '2026-12-20T00:00:00Z',
      validUntil: '2027-01-02T00:00:00+01:00',
    });
    answer = () => [204, ''];
    const remove = await runCli([
      '--url',
      url,
      '--json',
      'delete-group-lock',
      '-environment-group',
      'prod',
      '-lockID',
      'x1',
    ]);
    expect(remove).toMatchObject({ code: 0, stdout: '' });
    expect(seen[1]).toMatchObject({
      method: 'DELETE',
      url: '/api/environment-groups/prod/locks/x1',
      body: '',
    });
    expect(seen[1]?.headers['content-type']).toBeUndefined();
  });
});

describe('cleanup-releases (Trainyard only)', () => {
  const ENVS = ['dev', 'prod'];
  const RETENTION_WORLD = layoutFiles({
    apps: {
      web: { releases: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, ENVS])) },
      api: { releases: { 1: ENVS } },
    },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { web: 12, api: 1 } },
      prod: { config: { upstream: { environment: 'dev' } }, deployed: { web: 10 } },
    },
  });
  let harness: Harness;
  let url: string;

  beforeEach(async () => {
    harness = await startHarness(RETENTION_WORLD, { releasesKept: 5 });
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await harness.close();
  });

  it('--dry-run shows what would go; without it one commit removes it; then there is nothing left to remove', async () => {
    const before = harness.fixture.tip();
    const dryRun = await runCli(['--url', url, 'cleanup-releases', '--dry-run']);
    expect(dryRun).toMatchObject({ code: 0, stderr: '' });
    expect(dryRun.stdout).toBe(
      'Would remove 5 old releases of 1 application (RELEASES_KEPT=5); nothing was written:\n  web: 1-5\n',
    );
    expect(harness.fixture.tip()).toBe(before);
    const refused = await runCli([
      '--url',
      url,
      'cleanup-releases',
      '--dry-run',
      '--ci_link',
      'https://ci.example.com/1',
    ]);
    expect(refused.code).toBe(2);

    const run = await runCli([
      '--url',
      url,
      '--author_name',
      'Ops',
      'cleanup-releases',
      '--ci_link',
      'https://ci.example.com/jobs/9',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const tip = harness.fixture.tip();
    expect(run.stdout).toBe(
      `Removed 5 old releases of 1 application (RELEASES_KEPT=5) in commit ${tip}:\n  web: 1-5\n`,
    );
    expect(
      harness.fixture.git(['log', '-1', '--format=%an%n%(trailers:key=Ci-Link,valueonly)', 'main']).trim(),
    ).toBe('Ops\nhttps://ci.example.com/jobs/9');
    expect(
      harness.fixture
        .git(['ls-tree', '--name-only', 'main:applications/web/releases'])
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([6, 7, 8, 9, 10, 11, 12]);

    const again = await runCli(['--url', url, 'cleanup-releases']);
    expect(again.stdout).toBe('Nothing to remove: every app keeps all its releases (RELEASES_KEPT=5)\n');
    expect(harness.fixture.tip()).toBe(tip);
  });
});
