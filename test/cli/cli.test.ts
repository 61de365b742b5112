// The CLI as CI runs it: a child process against a real server on 127.0.0.1 (the app over a temp
// git repo), or against small node:http servers that misbehave on purpose.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROD_PROGNOSIS, WORLD } from '../http/world.js';
import { type Harness, startHarness } from '../support/appHarness.js';
import { runCli, stopCliProcesses } from '../support/cliProcess.js';

afterEach(stopCliProcesses);

describe('trainyard against the app', () => {
  let harness: Harness;
  let url: string;
  const commitCount = () => Number(harness.fixture.git(['rev-list', '--count', 'main']).trim());

  beforeEach(async () => {
    harness = await startHarness(WORLD);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await harness.close();
  });

  it('runs a train to an environment with the author flags (both flag forms), then finds nothing to do', async () => {
    const before = harness.fixture.tip();
    const run = await runCli([
      `--url=${url}`,
      '--author_name',
      'Zoë Müller',
      '--author_email=zoe@example.com',
      'release-train',
      '--target-environment',
      'staging',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const tip = harness.fixture.tip();
    expect(tip).not.toBe(before);
    expect(harness.fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'Zoë Müller <zoe@example.com>',
    );
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      "Release train to environment 'staging':",
      'staging: 3 to deploy, 2 skipped',
      '  billing: deploy version 2',
      '  cart: skipped, APP_ALREADY_IN_UPSTREAM_VERSION',
      '  checkout: deploy version 3',
      '  docs: skipped, APP_ALREADY_IN_UPSTREAM_VERSION',
      '  search: deploy version 4',
      expect.stringMatching(/^plan: [0-9a-f]{64}$/),
      `commit: ${tip}`,
    ]);

    const again = await runCli(['--url', url, 'release-train', '--target-environment=staging']);
    expect(again.code).toBe(0);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe('nothing to deploy, no commit');
    expect(harness.fixture.tip()).toBe(tip);
  });

  it('runs a train to a group with --team and --ci_link, recorded in the commit', async () => {
    const before = commitCount();
    const run = await runCli([
      '--url',
      url,
      'release-train',
      '--use_env_group_target',
      '--target-environment=prod',
      '--team=shop',
      '--ci_link',
      'https://ci.example.com/pipelines/42',
    ]);
    expect(run.code).toBe(0);
    expect(commitCount()).toBe(before + 1);
    const trailers = harness.fixture.git(['log', '-1', '--format=%(trailers:only,unfold)', 'main']);
    expect(trailers).toContain('Ci-Link: https://ci.example.com/pipelines/42');
    expect(trailers).toContain('Release-Train-Target: prod');
    // Only team shop's apps: billing (payments) and docs (no team) do not appear.
    expect(run.stdout).toContain("Release train to environment group 'prod' (team shop):");
    expect(run.stdout).toContain(
      'prod-ca: 1 to deploy, 2 skipped\n  cart: skipped, APP_DOES_NOT_EXIST_IN_ENV',
    );
    expect(run.stdout).not.toContain('billing');
    expect(run.stdout).toContain('prod-de: skipped, ENV_IS_LOCKED\n    env lock xmas: "code freeze"');
    expect(run.stdout).toContain(`commit: ${harness.fixture.tip()}`);
  });

  it('prints the train response as received with --json', async () => {
    const run = await runCli([
      '--json',
      '--url',
      url,
      'release-train',
      '--target-environment',
      'prod',
      '--use_env_group_target',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      target: 'prod',
      commitId: harness.fixture.tip(),
      planId: expect.stringMatching(/^[0-9a-f]{64}$/),
      envsPrognoses: PROD_PROGNOSIS,
    });
  });

  it('shows a prognosis of an environment and of a group, writing nothing', async () => {
    const before = harness.fixture.tip();
    const env = await runCli([
      '--url',
      url,
      'prognosis',
      '--target-environment',
      'prod-ca',
      '--team',
      'payments',
    ]);
    expect(env.code).toBe(0);
    const etag = (
      await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis?team=payments' })
    ).headers.etag;
    expect(env.stdout).toBe(
      [
        "Prognosis of a release train to environment 'prod-ca' (team payments):",
        'prod-ca: 0 to deploy, 1 skipped',
        '  billing: skipped, TEAM_IS_LOCKED',
        '    team lock audit: "audit week" by Bo',
        `plan: ${String(etag).slice(1, -1)}`,
        'prognosis only: nothing was written',
        '',
      ].join('\n'),
    );
    const api = await harness.app.inject({
      method: 'GET',
      url: '/api/environment-groups/prod/releasetrain/prognosis',
    });
    const group = await runCli([
      `--url=${url}`,
      '--json',
      'prognosis',
      '--use_env_group_target',
      '--target-environment=prod',
    ]);
    expect(group.code).toBe(0);
    expect(group.stdout).toBe(`${api.body}\n`);
    expect(harness.fixture.tip()).toBe(before);
  });

  it('fails at once with exit 1 and the server message for an unknown target', async () => {
    const run = await runCli([
      '--url',
      url,
      '--retries',
      '3',
      'release-train',
      '--target-environment',
      'nowhere',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("No environment named 'nowhere' exists. (TARGET_NOT_FOUND)");
    expect(run.stderr).not.toContain('retrying');
  });
});

type Handler = (headers: IncomingHttpHeaders, attempt: number, body: string) => [number, string] | 'hang';

describe('trainyard against servers that misbehave', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const open = server;
    server = undefined;
    if (!open) return;
    open.closeAllConnections();
    await new Promise((resolve) => open.close(resolve));
  });

  async function serve(handler: Handler) {
    const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        const answer = handler(request.headers, seen.length, body);
        if (answer === 'hang') return;
        response.writeHead(answer[0], { 'content-type': 'application/json' });
        response.end(answer[1]);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }
  const UNAVAILABLE = JSON.stringify({
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'busy',
    code: 'BUSY',
  });

  it('sends the token, the author headers and the body, takes TRAINYARD_URL, prints --json verbatim', async () => {
    const answer = '{"target":"prod-ca",  "commitId":null,"envsPrognoses":{}}';
    const { url, seen } = await serve(() => [200, answer]);
    const run = await runCli(
      [
        '--json',
        '--author_name',
        'Ana',
        'release-train',
        '--target-environment',
        'prod-ca',
        '--ci_link=https://ci.example.com/1',
      ],
      { TRAINYARD_URL: url, TRAINYARD_TOKEN: 'secret-token' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${answer}\n`);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('PUT');
    expect(seen[0]!.url).toBe('/api/environments/prod-ca/releasetrain');
    expect(seen[0]!.headers.authorization).toBe('Bearer secret-token');
    expect(seen[0]!.headers['author-name']).toBe(Buffer.from('Ana').toString('base64'));
    expect(seen[0]!.headers['author-email']).toBeUndefined();
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ ciLink: 'https://ci.example.com/1' });
  });

  it("takes Kuberpult's token variable and sends no body without --ci_link", async () => {
    const { url, seen } = await serve(() => [200, '{"envsPrognoses":{}}']);
    const run = await runCli(['--url', url, 'prognosis', '--target-environment', 'dev', '--team', 'shop'], {
      KUBERPULT_DEX_ACCESS_TOKEN: 'dex-token',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  (no environments)');
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.url).toBe('/api/environments/dev/releasetrain/prognosis?team=shop');
    expect(seen[0]!.headers.authorization).toBe('Bearer dex-token');
    expect(seen[0]!.headers['content-type']).toBeUndefined();
    expect(seen[0]!.body).toBe('');
  });

  it('retries 5xx answers and succeeds on the third attempt', async () => {
    const { url, seen } = await serve((_headers, attempt) =>
      attempt <= 2 ? [503, UNAVAILABLE] : [200, '{"target":"dev","commitId":null,"envsPrognoses":{}}'],
    );
    const run = await runCli(['--url', url, 'release-train', '--target-environment', 'dev']);
    expect(run.code).toBe(0);
    expect(seen).toHaveLength(3);
    expect(run.stderr).toContain('answered 503: busy (BUSY); retrying in 0.01 s (attempt 2 of 4)');
    expect(run.stderr).toContain('retrying in 0.02 s (attempt 3 of 4)');
    expect(run.stdout).toContain('nothing to deploy, no commit');
  });

  it('gives up with exit 1 after --retries 1 (two attempts)', async () => {
    const { url, seen } = await serve(() => [503, UNAVAILABLE]);
    const run = await runCli(['--url', url, '--retries=1', 'release-train', '--target-environment', 'dev']);
    expect(run.code).toBe(1);
    expect(seen).toHaveLength(2);
    expect(run.stderr).toContain('error: PUT');
    expect(run.stderr).toContain('busy (BUSY) (gave up after 2 attempts)');
  });

  it('does not retry a 4xx', async () => {
    const { url, seen } = await serve(() => [
      409,
      JSON.stringify({ statusCode: 409, error: 'Conflict', message: 'moved on', code: 'CONFLICT' }),
    ]);
    const run = await runCli(['--url', url, 'release-train', '--target-environment', 'dev']);
    expect(run.code).toBe(1);
    expect(seen).toHaveLength(1);
    expect(run.stderr).toContain('answered 409: moved on (CONFLICT)');
  });

  it('times out each attempt after --timeout seconds', async () => {
    const { url } = await serve(() => 'hang');
    // Attempts are counted as connections: on a loaded machine an attempt may time out before
    // this process has read its request, but never before the kernel has taken its connection.
    let connections = 0;
    server?.on('connection', () => {
      connections++;
    });
    const run = await runCli([
      '--url',
      url,
      '--timeout',
      '0.2',
      '--retries',
      '1',
      'prognosis',
      '--target-environment',
      'dev',
    ]);
    expect(run.code).toBe(1);
    await vi.waitFor(() => expect(connections).toBe(2), { timeout: 30_000, interval: 20 });
    // The CLI's own timeout ended both (the default, 180 s, is far beyond the test's timeout).
    expect(run.stderr).toContain('no answer within 0.2 s (gave up after 2 attempts)');
  });

  it('fails with exit 1 when nothing listens', async () => {
    const { url } = await serve(() => [200, '{}']);
    server?.close();
    server = undefined;
    const run = await runCli(['--url', url, '--retries', '0', 'prognosis', '--target-environment', 'dev']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: request failed');
    expect(run.stderr).toContain('(gave up after 1 attempt)');
  });
});

describe('trainyard with invalid arguments', () => {
  let server: Server | undefined;
  let url = '';
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests++;
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  // The message of each is checked in kuberpultParsing.test.ts; here: exit 2, stderr, no request.
  it.each([
    [['release-train'], 'error: the --target-environment arg must be set exactly once'],
    [['prognosis', '--target-environment', 'Prod_CA'], "the --target-environment value 'Prod_CA'"],
    [
      ['--retries', '-1', 'release-train', '--target-environment', 'dev'],
      '--retries arg value must not be negative',
    ],
    [
      ['--retries=1.5', 'release-train', '--target-environment', 'dev'],
      'invalid value "1.5" for flag -retries',
    ],
    [['--timeout', '0', 'prognosis', '--target-environment', 'dev'], '--timeout arg value must be positive'],
    [
      ['--url', 'ftp://example.com', 'prognosis', '--target-environment', 'dev'],
      "the --url value 'ftp://example.com'",
    ],
    [['release-train', '--target-environment', 'dev', '--bogus'], 'flag provided but not defined: -bogus'],
    [
      ['release-train', '-target-environment', 'dev', 'potato', 'tomato'],
      'these arguments are not recognised: "potato tomato"',
    ],
    [['release-train', '--target-environment=dev', '-target-environment=prod'], 'must be set exactly once'],
    [
      ['create-team-lock', '-environment', 'dev', '-team', 'shop', '-lockID', 'x'],
      'the --message arg is required',
    ],
    [
      ['release', '-application', 'a', '-environment', 'dev', '-manifest', 'm', '-signature', 's'],
      '--signature is not supported',
    ],
    [
      ['release', '-application', 'a', '-environment', 'dev', '-manifest', 'm', '-dry-run'],
      '--dry-run is not supported',
    ],
    [
      ['release', '-application', 'a', '-environment', 'dev', '-manifest', 'm', '-prepublish'],
      '--prepublish is not supported',
    ],
    [
      ['release', '-application', 'a', '-environment', 'dev', '-manifest', '/nonexistent/m.yaml'],
      "cannot read the manifest file '/nonexistent/m.yaml': ENOENT",
    ],
    [['get-commit-deployments', '-commit', 'abc'], 'the commit hash: abc is invalid'],
    [
      ['create-group-lock', '-environment-group', 'prod', '-lockID', 'xmas', '-valid_from', 'tomorrow'],
      "provided invalid --valid_from value 'tomorrow': it must be an RFC 3339 time",
    ],
    [
      ['create-env-lock', '-environment', 'dev', '-lockID', 'x', '-valid_until', '2027-01-02'],
      "provided invalid --valid_until value '2027-01-02'",
    ],
    [
      [
        'create-app-lock',
        ...['-environment', 'dev', '-application', 'checkout', '-lockID', 'x'],
        ...['-valid_from', '2027-01-02T00:00:00Z', '-valid_until', '2026-12-20T00:00:00Z'],
      ],
      'the --valid_from time must be before the --valid_until time',
    ],
    [
      [
        'create-env-lock',
        ...['-environment', 'dev', '-lockID', 'x'],
        ...['-valid_until', '2027-01-02T00:00:00Z', '-valid_until', '2027-01-03T00:00:00Z'],
      ],
      'the --valid_until arg must be set at most once',
    ],
    [['deploy'], 'unknown subcommand deploy'],
    [[], 'a subcommand must be specified'],
  ])('%j exits 2: %s, and sends nothing', async (args, message) => {
    const before = requests;
    const run = await runCli(args, { TRAINYARD_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(requests).toBe(before);
  });

  it('needs --url (or TRAINYARD_URL) for everything but help', async () => {
    const run = await runCli(['delete-environment', '--environment', 'dev']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "error: the --url arg must be set exactly once\nRun 'trainyard help' for usage.\n",
    );
  });

  it('prints the help with exit 0: help, --help, and help <subcommand>', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: trainyard [global flags] <subcommand> [subcommand flags]');
    for (const flag of [
      '-url',
      '-author_name',
      '-author_email',
      '-client_uuid',
      '-retries',
      '-timeout',
      '-json',
    ]) {
      expect(run.stdout).toContain(`  ${flag}`);
    }
    const help = await runCli(['help']);
    expect(help).toEqual(run);
    const sub = await runCli(['help', 'release-train']);
    expect(sub.code).toBe(0);
    for (const flag of [
      '-target-environment',
      '-team',
      '-ci_link',
      '-use_env_group_target',
      '-use_dex_auth',
    ]) {
      expect(sub.stdout).toContain(`  ${flag}`);
    }
  });
});
