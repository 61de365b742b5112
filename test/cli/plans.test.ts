// Approve a plan, run exactly that plan, as a pipeline does it with the trainyard command:
// `prognosis --out plan.json` (the artifact a person or a policy approves), then
// `release-train --plan plan.json`. The trainyard process against the app on 127.0.0.1.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROD_PROGNOSIS, WORLD } from '../http/world.js';
import { type Harness, startHarness } from '../support/appHarness.js';
import { runCli, stopCliProcesses } from '../support/cliProcess.js';

let files: string;
beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'trainyard-cli-plans-'));
});
afterAll(async () => {
  await rm(files, { recursive: true, force: true });
});
afterEach(stopCliProcesses);

describe('approved plans with the trainyard command', () => {
  let harness: Harness;
  let url: string;
  const planFile = () => join(files, `plan-${Math.random().toString(36).slice(2)}.json`);
  const etag = async (path: string) =>
    String((await harness.app.inject({ url: path })).headers.etag).slice(1, -1);

  beforeEach(async () => {
    harness = await startHarness(WORLD);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await harness.close();
  });

  it('prognosis --out writes the plan with its id, target, type and team; release-train --plan runs exactly it', async () => {
    const plan = planFile();
    const prognosis = await runCli([
      '--url',
      url,
      'prognosis',
      '--target-environment',
      'prod',
      '--use_env_group_target',
      '--out',
      plan,
    ]);
    expect(prognosis.stderr).toBe('');
    expect(prognosis.code).toBe(0);
    const planId = await etag('/api/environment-groups/prod/releasetrain/prognosis');
    expect(JSON.parse(await readFile(plan, 'utf8'))).toEqual({
      planId,
      target: 'prod',
      targetType: 'environmentGroup',
      envsPrognoses: PROD_PROGNOSIS,
    });
    expect(prognosis.stdout).toContain(
      `plan: ${planId}\nprognosis only: nothing was written\nplan written to ${plan}\n`,
    );

    const before = harness.fixture.tip();
    const train = await runCli([
      '--url',
      url,
      'release-train',
      '--plan',
      plan,
      '--ci_link',
      'https://ci.example.com/7',
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(harness.fixture.git(['rev-parse', 'main^']).trim()).toBe(before);
    expect(train.stdout).toContain("Release train to environment group 'prod':");
    expect(train.stdout).toContain(`plan: ${planId}\ncommit: ${harness.fixture.tip()}\n`);
    expect(harness.fixture.git(['log', '-1', '--format=%B', 'main'])).toContain(
      'Ci-Link: https://ci.example.com/7',
    );

    // The same plan once more: it is in place, so the plan now is another one; nothing is written.
    const tip = harness.fixture.tip();
    const again = await runCli(['--url', url, 'release-train', '--plan', plan]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      '  prod-ca/checkout: approved: deploy version 2; now: skipped, APP_ALREADY_IN_UPSTREAM_VERSION\n' +
        'every approved deployment is in place now: the plan looks applied already (by an earlier run of this train?)\n',
    );
    expect(harness.fixture.tip()).toBe(tip);
  });

  it('a plan of one environment and a team: the same flags beside --plan are fine', async () => {
    const plan = planFile();
    expect(
      (
        await runCli([
          '--url',
          url,
          'prognosis',
          '--target-environment=staging',
          '--team=shop',
          '--out',
          plan,
        ])
      ).code,
    ).toBe(0);
    expect(JSON.parse(await readFile(plan, 'utf8'))).toMatchObject({
      target: 'staging',
      targetType: 'environment',
      team: 'shop',
    });
    const train = await runCli([
      '--url',
      url,
      'release-train',
      '--plan',
      plan,
      '--target-environment',
      'staging',
      '--team',
      'shop',
      '--use_env_group_target=false',
    ]);
    expect(train.code).toBe(0);
    expect(harness.fixture.git(['log', '-1', '--format=%B', 'main'])).toContain('Release-Train-Team: shop');
  });

  it('when the plan changed since: exit 1, nothing deployed, and what differs from the approved plan', async () => {
    const plan = planFile();
    await runCli([
      '--url',
      url,
      'prognosis',
      '--target-environment',
      'prod',
      '--use_env_group_target',
      '--out',
      plan,
    ]);
    // A lock on checkout in prod-ca, the freeze of prod-de lifted, prod-jp given an upstream.
    harness.fixture.commit(
      {
        'environments/prod-ca/applications/checkout/locks/hotfix/message': 'hold on',
        'environments/prod-jp/config.json': JSON.stringify({
          upstream: { environment: 'staging' },
          environmentGroup: 'prod',
        }),
      },
      { delete: ['environments/prod-de/locks'] },
    );
    const before = harness.fixture.tip();
    const current = await etag('/api/environment-groups/prod/releasetrain/prognosis');

    const train = await runCli(['--url', url, 'release-train', '--plan', plan]);
    expect(train.code).toBe(1);
    expect(train.stdout).toBe('');
    const approved = JSON.parse(await readFile(plan, 'utf8')).planId;
    expect(train.stderr).toBe(
      [
        'error: the plan changed since it was approved, so the train deployed nothing (PLAN_CHANGED).',
        `approved plan (${plan}): ${approved}`,
        `current plan: ${current}`,
        'what differs from the approved plan:',
        '  prod-ca/checkout: approved: deploy version 2; now: skipped, APP_IS_LOCKED',
        '  prod-de: approved: skipped, ENV_IS_LOCKED; now: 4 to deploy, 2 skipped',
        '  prod-jp: approved: skipped, ENV_HAS_NO_UPSTREAM_LATEST_OR_UPSTREAM_ENV; now: 4 to deploy, 2 skipped',
        "review the current plan ('trainyard prognosis ... --out'), approve it, and run the train with it",
        '',
      ].join('\n'),
    );
    expect(harness.fixture.tip()).toBe(before);
  });

  it('refuses, sending nothing (exit 2), a flag that conflicts with the plan and a file that is no plan', async () => {
    const plan = planFile();
    await runCli([
      '--url',
      url,
      'prognosis',
      '--target-environment',
      'prod',
      '--use_env_group_target',
      '--out',
      plan,
    ]);
    const before = harness.fixture.tip();
    const refusals: [string[], string][] = [
      [
        ['--target-environment', 'staging'],
        "the --target-environment arg 'staging' conflicts with the plan file",
      ],
      [['--use_env_group_target=false'], 'the --use_env_group_target arg false conflicts with the plan file'],
      [['--team', 'shop'], "the --team arg 'shop' conflicts with the plan file"],
    ];
    for (const [flags, message] of refusals) {
      const run = await runCli(['--url', url, 'release-train', '--plan', plan, ...flags]);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
    }
    const broken = join(files, 'broken.json');
    const brokenFiles: [string, string][] = [
      ['{"planId": "x"', 'is not JSON'],
      ['[]', 'not a JSON object'],
      [
        JSON.stringify({ planId: 'abc', target: 'prod', targetType: 'environmentGroup', envsPrognoses: {} }),
        'planId is not 64 hex digits',
      ],
      [
        JSON.stringify({
          planId: 'a'.repeat(64),
          target: '../x',
          targetType: 'environment',
          envsPrognoses: {},
        }),
        "'../x' must match",
      ],
      [
        JSON.stringify({ planId: 'a'.repeat(64), target: 'prod', targetType: 'group', envsPrognoses: {} }),
        'targetType is neither',
      ],
    ];
    for (const [content, message] of brokenFiles) {
      await writeFile(broken, content);
      const run = await runCli(['--url', url, 'release-train', '--plan', broken]);
      expect(run.code, content).toBe(2);
      expect(run.stderr).toContain(message);
    }
    const missing = await runCli(['--url', url, 'release-train', '--plan', join(files, 'nowhere.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the plan file');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('prognosis --diff prints the manifest diff under every app to be deployed', async () => {
    const run = await runCli(['--url', url, 'prognosis', '--target-environment', 'prod-ca', '--diff']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        'prod-ca: 1 to deploy, 5 skipped',
        '  billing: skipped, TEAM_IS_LOCKED',
        '    team lock audit: "audit week" by Bo',
        '  cart: skipped, APP_DOES_NOT_EXIST_IN_ENV',
        '  checkout: deploy version 2',
        '    --- environments/prod-ca/applications/checkout/manifests/manifests.yaml',
        '    +++ environments/prod-ca/applications/checkout/manifests/manifests.yaml',
        '    @@ -1,3 +1,3 @@',
        '     app: checkout',
        '    -version: 1',
        '    +version: 2',
        '     environment: prod-ca',
        '  docs: skipped, APP_IS_LOCKED',
      ].join('\n'),
    );
  });
});

describe('approved plans against servers that answer otherwise', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const open = server;
    server = undefined;
    open?.closeAllConnections();
    if (open) await new Promise((resolve) => open.close(resolve));
  });

  /** Answers each request with the next of `answers`; records the If-Match headers it got. */
  async function serve(
    answers: readonly [number, object][],
  ): Promise<{ url: string; ifMatch: (string | undefined)[] }> {
    const ifMatch: (string | undefined)[] = [];
    const listening = createServer((request, response) => {
      ifMatch.push(request.headers['if-match']);
      const [status, body] = answers[Math.min(ifMatch.length, answers.length) - 1] as [number, object];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, ifMatch };
  }

  it('writes no plan file when the server sends no plan id (a server without plan ids, such as Kuberpult)', async () => {
    const { url } = await serve([[200, { envsPrognoses: PROD_PROGNOSIS }]]);
    const plan = join(files, 'never.json');
    const run = await runCli(['--url', url, 'prognosis', '--target-environment', 'prod', '--out', plan]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the server sent no plan id (ETag) with the prognosis');
    await expect(readFile(plan)).rejects.toThrow();
  });

  it('after a retry, a 412 says that an earlier attempt may have run the plan', async () => {
    const plan = join(files, 'retried.json');
    await writeFile(
      plan,
      JSON.stringify({ planId: 'a'.repeat(64), target: 'dev', targetType: 'environment', envsPrognoses: {} }),
    );
    const { url, ifMatch } = await serve([
      [503, { statusCode: 503, error: 'Service Unavailable', message: 'busy', code: 'REPO_BUSY' }],
      [
        412,
        {
          statusCode: 412,
          error: 'Precondition Failed',
          message: 'changed',
          code: 'PLAN_CHANGED',
          currentPlanId: 'b'.repeat(64),
          envsPrognoses: { dev: { skipCause: 'ENV_IS_LOCKED' } },
        },
      ],
    ]);
    const run = await runCli(['--url', url, 'release-train', '--plan', plan]);
    expect(run.code).toBe(1);
    expect(ifMatch).toEqual([`"${'a'.repeat(64)}"`, `"${'a'.repeat(64)}"`]);
    expect(run.stderr).toContain('  dev: approved: not in the plan; now: skipped, ENV_IS_LOCKED\n');
    expect(run.stderr).toContain(
      'note: this was attempt 2; an earlier attempt got no answer and may have run the plan',
    );
  });
});
