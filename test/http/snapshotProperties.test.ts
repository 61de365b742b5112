// The snapshot the service keeps after its own commits is derived from the plan, not read (issue
// 11 item 7): random sequences of writes through the API, and after every one of them the kept
// snapshot equals an independent `git ls-tree -r` read of the branch tip, and GET /api/overview
// equals the overview built from that read. One fixture repo for the file: each run puts the
// branch back on the fixture's commit and starts a fresh repository adapter and app on it.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CatFileBatch } from '../../src/manifest/catFileBatch.js';
import { createManifestRepository } from '../../src/manifest/repository.js';
import { base64, FIXED_TIME } from '../support/appHarness.js';
import { createFixtureRepo, type FixtureRepo } from '../support/gitFixture.js';
import { layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import { expectTipSnapshotEqualsFullRead, overviewOf } from '../support/snapshotEquality.js';

const ENVIRONMENTS = ['dev', 'staging', 'prod-a', 'prod-b', 'bare'];
/** qa does not exist until a step creates it. */
const TARGET_ENVIRONMENTS = [...ENVIRONMENTS, 'qa'];
/** ghost has no release: a lock on it makes a directory for an app that does not exist. */
const APPS = ['checkout', 'search', 'docs', 'ghost'];
const TEAMS = ['shop', 'discovery', 'nobody'];
const LOCK_IDS = ['hold', 'xmas', 'fresh'];
const GROUPS = ['prod', 'test'];

const WORLD = {
  ...layoutFiles({
    apps: {
      checkout: {
        team: 'shop',
        releases: {
          1: ['dev', 'staging', 'prod-a', 'prod-b'],
          2: ['dev', 'staging', 'prod-a', 'prod-b'],
          3: ['dev', 'staging'],
          // Enough releases for the retention rule (RELEASES_KEPT=5 here) to remove some.
          4: ['dev', 'staging'],
          5: ['dev', 'staging'],
          6: ['dev', 'staging'],
          7: ['dev'],
          8: ['dev'],
        },
      },
      search: { team: 'discovery', releases: { 1: ['dev', 'staging', 'prod-a'], 2: ['dev', 'staging'] } },
      docs: { releases: { 1: ['dev', 'prod-b'] } },
    },
    environments: {
      dev: { config: { upstream: { latest: true } }, deployed: { checkout: 3, search: 2, docs: 1 } },
      staging: {
        config: { upstream: { environment: 'dev' } },
        deployed: { checkout: 2, search: 1 },
        teamLocks: { shop: { audit: { message: 'audit' } } },
      },
      'prod-a': {
        config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
        deployed: { checkout: 1 },
        locks: { xmas: { message: 'freeze', suggestedLifetime: '7d' } },
      },
      'prod-b': {
        config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
        deployed: { checkout: 1 },
        queued: { checkout: 2 },
        appLocks: { checkout: { hold: { message: 'hold', ciLink: 'https://ci.example.com/1' } } },
      },
      // Only a lock, pushed from outside: no config.json.
      bare: { locks: { outside: { message: 'by hand' } } },
    },
  }),
  // Files the snapshot does not model: their directories stay when a modeled file goes.
  'environments/prod-b/applications/search/notes.txt': 'kept by a person\n',
  'environments/staging/teams/shop/README': 'the shop team\n',
  'manifests/manifests.yaml': 'argo: app of apps\n',
};

const HEADERS = { 'author-name': base64('Ana'), 'author-email': base64('ana@example.com') };

interface Step {
  readonly method: 'PUT' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
  /** What the body says, for the counterexample. */
  readonly body?: string;
}

function step(method: Step['method'], url: string, body?: unknown): Step {
  const described = body === undefined ? undefined : JSON.stringify(body);
  return withDescription({
    method,
    url,
    headers: body === undefined ? HEADERS : { ...HEADERS, 'content-type': 'application/json' },
    ...(described !== undefined ? { payload: described, body: described } : {}),
  });
}

function describeStep(value: Step): string {
  return `${value.method} ${value.url}${value.body ? ` ${value.body}` : ''}`;
}

/** A shrunk counterexample reads as the requests: `POST /api/release {...}`. */
function withDescription(value: Step): Step {
  return Object.assign(value, { [fc.toStringMethod]: () => describeStep(value) });
}

const environment = fc.constantFrom(...TARGET_ENVIRONMENTS);
const app = fc.constantFrom(...APPS);
const lockId = fc.constantFrom(...LOCK_IDS);

const lockUrl = fc.oneof(
  fc.tuple(environment, lockId).map(([env, id]) => `/api/environments/${env}/locks/${id}`),
  fc
    .tuple(environment, app, lockId)
    .map(([env, name, id]) => `/api/environments/${env}/applications/${name}/locks/${id}`),
  fc
    .tuple(environment, fc.constantFrom(...TEAMS), lockId)
    .map(([env, team, id]) => `/api/environments/${env}/teams/${team}/locks/${id}`),
  fc
    .tuple(fc.constantFrom(...GROUPS), lockId)
    .map(([group, id]) => `/api/environment-groups/${group}/locks/${id}`),
);

const lockBody = fc.record(
  {
    message: fc.constantFrom('hold on', '', 'freeze\nfor the week'),
    ciLink: fc.constant('https://ci.example.com/7'),
    suggestedLifetime: fc.constantFrom('2h', '7d'),
  },
  { requiredKeys: ['message'] },
);

const environmentConfig = fc.record(
  {
    upstream: fc.oneof(
      fc.constant({ latest: true }),
      environment.map((env) => ({ environment: env })),
      fc.constant(null),
    ),
    environmentGroup: fc.constantFrom(...GROUPS),
    argocd: fc.constant({ destination: { server: 'https://kubernetes.default.svc' } }),
  },
  { requiredKeys: [] },
);

const environmentStep = fc
  .tuple(environment, environmentConfig)
  .map(([env, config]) => step('POST', `/api/environments/${env}`, config));

const releaseStep = fc
  .record(
    {
      application: fc.constantFrom('checkout', 'search', 'docs', 'newapp'),
      version: fc.integer({ min: 1, max: 5 }).map(String),
      team: fc.constantFrom('shop', 'payments'),
      manifests: fc.uniqueArray(environment, { minLength: 1, maxLength: 3 }),
      content: fc.constantFrom('kind: Deployment\n', ''),
    },
    { requiredKeys: ['application', 'manifests', 'content'] },
  )
  .map(({ manifests, content, ...fields }) => {
    const form: [string, string][] = [
      ...Object.entries(fields),
      ...manifests.map((env): [string, string] => [`manifests[${env}]`, content]),
    ];
    const { payload, contentType } = fieldsBody(form);
    return withDescription({
      method: 'POST',
      url: '/api/release',
      headers: { ...HEADERS, 'content-type': contentType },
      payload,
      body: JSON.stringify(Object.fromEntries(form)),
    });
  });

/** Releases of the fixture that have a manifest for the environment: these deployments can be made. */
const DEPLOYABLE: [string, string, number][] = [
  ...['dev', 'staging', 'prod-a', 'prod-b'].flatMap((env): [string, string, number][] => [
    [env, 'checkout', 1],
    [env, 'checkout', 2],
  ]),
  ['staging', 'checkout', 3],
  ['prod-a', 'search', 1],
  ['staging', 'search', 2],
  ['prod-b', 'docs', 1],
];

const deploymentStep = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom(...DEPLOYABLE), weight: 3 },
      { arbitrary: fc.tuple(environment, app, fc.integer({ min: 1, max: 4 })), weight: 1 },
    ),
    fc.constantFrom('record', 'fail', 'ignore'),
  )
  .map(([[env, name, version], lockBehavior]) =>
    step('PUT', `/api/environments/${env}/applications/${name}/deployment`, { version, lockBehavior }),
  );

const trainStep = fc
  .tuple(
    fc.oneof(
      environment.map((env) => `/api/environments/${env}/releasetrain`),
      fc.constantFrom(...GROUPS).map((group) => `/api/environment-groups/${group}/releasetrain`),
    ),
    fc.constantFrom('', '?sourceGitTag=base', '?team=shop'),
  )
  .map(([url, query]) => step('PUT', `${url}${query}`));

/** Locks of the fixture: removing them empties a team's locks, an app's, an environment. */
const existingLock = fc.constantFrom(
  '/api/environments/staging/teams/shop/locks/audit',
  '/api/environments/prod-a/locks/xmas',
  '/api/environments/prod-b/applications/checkout/locks/hold',
  '/api/environments/bare/locks/outside',
  '/api/environment-groups/prod/locks/xmas',
);

const lockPut = (url: string) => lockBody.map((body) => step('PUT', url, body));

/** Switching apps off and tidying up (lifecycle.md). */
const lifecycleStep = fc.oneof(
  fc.constantFrom(...APPS, 'newapp').map((name) => step('POST', `/api/applications/${name}/undeploy`)),
  fc.constantFrom(...APPS, 'newapp').map((name) => step('DELETE', `/api/applications/${name}`)),
  fc
    .tuple(environment, app)
    .map(([env, name]) => step('DELETE', `/api/environments/${env}/applications/${name}`)),
  fc.constant(step('POST', '/api/releases/cleanup')),
);

/** Steps come in short runs, so that a lock is often made and then removed again. */
const anySteps: fc.Arbitrary<Step[]> = fc.oneof(
  { arbitrary: lockUrl.chain(lockPut).map((put) => [put]), weight: 3 },
  { arbitrary: fc.oneof(lockUrl, existingLock).map((url) => [step('DELETE', url)]), weight: 3 },
  {
    arbitrary: lockUrl.chain((url) => lockPut(url).map((put) => [put, step('DELETE', url)])),
    weight: 3,
  },
  { arbitrary: environmentStep.map((one) => [one]), weight: 2 },
  { arbitrary: releaseStep.map((one) => [one]), weight: 2 },
  { arbitrary: deploymentStep.map((one) => [one]), weight: 2 },
  { arbitrary: trainStep.map((one) => [one]), weight: 2 },
  { arbitrary: lifecycleStep.map((one) => [one]), weight: 2 },
  // Undeploy, carry it along, remove the app for good.
  {
    arbitrary: fc
      .constantFrom('checkout', 'search', 'docs')
      .map((name) => [
        step('POST', `/api/applications/${name}/undeploy`),
        step('PUT', '/api/environments/staging/releasetrain'),
        step('PUT', '/api/environment-groups/prod/releasetrain'),
        step('DELETE', `/api/applications/${name}`),
      ]),
    weight: 1,
  },
);

const sequences = fc.array(anySteps, { minLength: 1, maxLength: 8 }).map((runs) => runs.flat().slice(0, 12));

let fixture: FixtureRepo;
let fixtureCommit: string;
/** The full reads' objects: one reader for the file, not a process per step. */
let objects: CatFileBatch;

beforeAll(async () => {
  fixture = await createFixtureRepo(WORLD);
  fixtureCommit = fixture.tip();
  // The source of trains with ?sourceGitTag=base.
  fixture.git(['tag', 'base']);
  objects = new CatFileBatch(fixture.path);
});
afterAll(async () => {
  objects?.close();
  await fixture.cleanup();
});

async function checkSequence(steps: readonly Step[]): Promise<void> {
  fixture.git(['update-ref', 'refs/heads/main', fixtureCommit]);
  const repo = createManifestRepository({ path: fixture.path, branch: 'main' });
  const app = await buildApp({ repo, clock: () => FIXED_TIME, releasesKept: 5 });
  try {
    // The service has read the fixture once; from then on every snapshot is its own.
    await repo.readTipSnapshot();
    for (const [index, current] of steps.entries()) {
      const response = await app.inject(current);
      const context = `step ${index + 1}, ${describeStep(current)}: ${response.statusCode} ${response.body}`;
      expect(response.statusCode, context).toBeLessThan(500);
      const fresh = await expectTipSnapshotEqualsFullRead(repo, fixture.path, {
        kept: true,
        context,
        objects,
      });
      const overview = await app.inject({ url: '/api/overview' });
      expect(overview.json(), context).toEqual(await overviewOf(repo, fresh));
    }
  } finally {
    await app.close();
    repo.close();
  }
}

describe("the service's snapshot after its own writes", () => {
  it('equals a fresh read of the branch tip after every write of any sequence', async () => {
    await fc.assert(fc.asyncProperty(sequences, checkSequence), {
      seed: 20261126,
      // 30 sequences of up to 12 writes, checked after every write (a write and its check cost
      // about 0.3 s on a 2-core machine); what a larger run found is kept below as an example.
      numRuns: 30,
    });
  }, 120_000);

  // Found by the property above before the fix; kept as a plain example.
  it('drops a phantom app: a lock on an app an environment does not have, then its deletion', async () => {
    await checkSequence([
      step('PUT', '/api/environments/prod-a/applications/ghost/locks/hold', { message: 'hold' }),
      step('DELETE', '/api/environments/prod-a/applications/ghost/locks/hold'),
    ]);
  });
});
