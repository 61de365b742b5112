// Who may write what (security.md "What a caller may do"): an authorization matrix generated from
// an RBAC policy, TEAMS_FILE restricting trains (NO_TEAM_PERMISSION), and the write rate limit.
// Identities are verified tokens (AUTH_MODE=token) over a temporary tokens file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { Permissions } from '../../src/auth/permissions.js';
import { parsePolicy } from '../../src/auth/policy.js';
import { parseTeamsFile } from '../../src/auth/teams.js';
import { TokenStore } from '../../src/auth/tokens.js';
import { type Harness, harnessPerTest, startHarness } from '../support/appHarness.js';
import type { SavedRefs } from '../support/gitFixture.js';
import { expectError, expectOneCommit } from '../support/httpExpectations.js';
import { LOCK_DEFAULTS, layoutFiles } from '../support/layout.js';
import { fieldsBody } from '../support/multipart.js';
import { createRemoteWorld, type RemoteWorld, startRemoteService } from '../support/remoteFixture.js';

// ---------------------------------------------------------------------------------------------
// Identities: a tokens file holding only the SHA-256 of each token.

interface TestIdentity {
  readonly key: string;
  readonly name: string;
  readonly email: string;
  readonly groups: readonly string[];
  readonly token: string;
}

const ALICE: TestIdentity = {
  key: 'alice',
  name: 'Alice Dev',
  email: 'alice@example.com',
  groups: ['developers'],
  token: 'token-alice-3f9a1c',
};
const BOB: TestIdentity = {
  key: 'bob',
  name: 'Bob CI',
  email: 'ci-bot@example.com',
  groups: ['ci-bots', 'group-b'],
  token: 'token-bob-77e0d2',
};
const CAROL: TestIdentity = {
  key: 'carol',
  name: 'Carol Admin',
  email: 'carol@example.com',
  groups: [],
  token: 'token-carol-b41e55',
};
const EVE: TestIdentity = {
  key: 'eve',
  name: 'Eve Guest',
  email: 'eve@example.com',
  groups: ['guests'],
  token: 'token-eve-0c8d6a',
};
const IDENTITIES = [ALICE, BOB, CAROL, EVE] as const;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const tokensYaml = () =>
  IDENTITIES.map(
    (identity) =>
      `- name: ${identity.name}\n  email: ${identity.email}\n  sha256: ${sha256(identity.token)}\n` +
      `  groups: [${identity.groups.join(', ')}]\n`,
  ).join('');

let tokensDir: string;
let authenticator: Authenticator;

beforeAll(async () => {
  tokensDir = await mkdtemp(join(tmpdir(), 'trainyard-auth-test-'));
  const path = join(tokensDir, 'tokens.yaml');
  await writeFile(path, tokensYaml());
  const store = new TokenStore(path);
  await store.load();
  authenticator = new Authenticator(store);
});

afterAll(async () => {
  await rm(tokensDir, { recursive: true, force: true });
});

const as = (identity: TestIdentity, requestId?: string): Record<string, string> => ({
  authorization: `Bearer ${identity.token}`,
  ...(requestId ? { 'x-request-id': requestId } : {}),
});

const authorOf = (identity: TestIdentity) => ({ name: identity.name, email: identity.email });

// ---------------------------------------------------------------------------------------------
// The policy, as data: rendered to Kuberpult's text for the service, read directly by the oracle.

type Rule = readonly [role: string, action: string, group: string, environment: string, app: string];

const GRANTS: readonly (readonly [subject: string, role: string])[] = [
  ['developers', 'developer'],
  ['ci-bots', 'ci'],
  // A role given to an email, not a group.
  ['carol@example.com', 'admin'],
];

const RULES: readonly Rule[] = [
  // staging has no group: it is its own group.
  ['developer', 'CreateLock', 'staging', 'staging', '*'],
  ['developer', 'DeleteLock', '*', 'dev', 'docs'],
  // App-specific: does not allow environment-wide locks in prod-de.
  ['developer', 'CreateLock', 'prod', 'prod-de', 'checkout'],
  ['developer', 'CreateRelease', 'dev', 'dev', 'checkout'],
  ['developer', 'DeployRelease', '*', 'staging', 'checkout'],
  ['developer', 'DeployReleaseTrain', 'staging', '*', '*'],
  ['ci', 'CreateRelease', '*', '*', '*'],
  ['ci', 'DeployReleaseTrain', '*', 'staging', '*'],
  // Only one environment of the group prod: a train to the group is refused naming prod-fr.
  ['ci', 'DeployReleaseTrain', 'prod', 'prod-de', '*'],
  ['ci', 'CreateLock', 'prod', '*', '*'],
  ['ci', 'DeleteLock', 'dev', 'dev', '*'],
  ['ci', 'CreateEnvironment', 'prod', '*', '*'],
  ['ci', 'CreateUndeploy', '*', '*', '*'],
  ['developer', 'DeleteEnvironmentApplication', 'dev', 'dev', 'docs'],
  ['admin', '*', '*', '*', '*'],
];

const POLICY_TEXT = [
  '# Trainyard test policy (Kuberpult format)',
  '',
  ...RULES.map(
    ([role, action, group, env, app]) => `p, role:${role}, ${action}, ${group}:${env}, ${app}, allow`,
  ),
  '',
  ...GRANTS.map(([subject, role]) => `g, ${subject}, role:${role}`),
  '',
].join('\n');

/** An environment's group in the fixture (its own name without one); prod-it is created in prod. */
const GROUP_OF: Readonly<Record<string, string>> = {
  dev: 'dev',
  staging: 'staging',
  'prod-de': 'prod',
  'prod-fr': 'prod',
  'prod-it': 'prod',
};

interface Target {
  readonly environment: string;
  readonly app: string;
}

/** The oracle: what POLICY says, read from RULES and GRANTS (not through the service's code). */
function oracleAllows(identity: TestIdentity, action: string, { environment, app }: Target): boolean {
  const roles = GRANTS.filter(
    ([subject]) => subject === identity.email || identity.groups.includes(subject),
  ).map(([, role]) => role);
  const group = GROUP_OF[environment];
  if (group === undefined) throw new Error(`no group known for ${environment}`);
  const fits = (pattern: string, value: string) => pattern === '*' || pattern === value;
  return RULES.some(
    ([role, ruleAction, ruleGroup, ruleEnv, ruleApp]) =>
      roles.includes(role) &&
      fits(ruleAction, action) &&
      fits(ruleGroup, group) &&
      fits(ruleEnv, environment) &&
      fits(ruleApp, app),
  );
}

/** undefined: allowed; else the first environment (in the request's order) that is refused. */
function refusedEnvironment(identity: TestIdentity, request: MatrixRequest): string | undefined {
  return request.targets.find((target) => !oracleAllows(identity, request.action, target))?.environment;
}

// ---------------------------------------------------------------------------------------------
// The world of the matrix.

const ALL = ['dev', 'staging', 'prod-de', 'prod-fr'];

const MATRIX_WORLD = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ALL, 2: ALL } },
    search: { team: 'discovery', releases: { 1: ALL, 2: ALL } },
    docs: { releases: { 1: ALL, 2: ALL } },
  },
  environments: {
    // The locks to delete are in dev, which no train of the matrix targets.
    dev: {
      config: { upstream: { latest: true } },
      deployed: { checkout: 2, search: 2, docs: 2 },
      locks: { old: {} },
      appLocks: { docs: { old: {} } },
      teamLocks: { shop: { old: {} } },
    },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1, search: 1, docs: 1 } },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
    'prod-fr': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
  },
});

/** A `multipart/form-data` body of text fields (release uploads). */
const multipart = fieldsBody;

interface Sent {
  readonly method: 'PUT' | 'POST' | 'DELETE';
  readonly url: string;
  readonly payload?: unknown;
  readonly contentType?: string;
}

interface MatrixRequest {
  readonly name: string;
  readonly action: string;
  /** Where the action applies, in the order the service is to check them. */
  readonly targets: readonly Target[];
  readonly request: Sent;
  readonly status: number;
  /** What the write left on the branch (called after a 2xx). */
  readonly written: (h: Harness) => void;
}

const env = (environment: string, app = '*'): Target => ({ environment, app });
const json = (method: Sent['method'], url: string, payload: unknown = {}): Sent => ({ method, url, payload });
const exists = (h: Harness, path: string) => h.fixture.modeOf(path) !== undefined;
const symlinkOf = (h: Harness, path: string) => h.fixture.show(path);

const LOCK_BODY = { message: 'matrix lock' };

const REQUESTS: readonly MatrixRequest[] = [
  {
    name: 'PUT environment lock',
    action: 'CreateLock',
    targets: [env('staging')],
    request: json('PUT', '/api/environments/staging/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) => expect(h.fixture.show('environments/staging/locks/matrix/message')).toBe('matrix lock'),
  },
  {
    name: 'PUT environment lock in a group',
    action: 'CreateLock',
    targets: [env('prod-de')],
    request: json('PUT', '/api/environments/prod-de/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) => expect(exists(h, 'environments/prod-de/locks/matrix/message')).toBe(true),
  },
  {
    name: 'DELETE environment lock',
    action: 'DeleteLock',
    targets: [env('dev')],
    request: { method: 'DELETE', url: '/api/environments/dev/locks/old' },
    status: 204,
    written: (h) => expect(exists(h, 'environments/dev/locks/old/message')).toBe(false),
  },
  {
    name: 'PUT application lock (checkout)',
    action: 'CreateLock',
    targets: [env('prod-de', 'checkout')],
    request: json('PUT', '/api/environments/prod-de/applications/checkout/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) =>
      expect(exists(h, 'environments/prod-de/applications/checkout/locks/matrix/message')).toBe(true),
  },
  {
    name: 'PUT application lock (search)',
    action: 'CreateLock',
    targets: [env('prod-de', 'search')],
    request: json('PUT', '/api/environments/prod-de/applications/search/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) =>
      expect(exists(h, 'environments/prod-de/applications/search/locks/matrix/message')).toBe(true),
  },
  {
    name: 'DELETE application lock',
    action: 'DeleteLock',
    targets: [env('dev', 'docs')],
    request: { method: 'DELETE', url: '/api/environments/dev/applications/docs/locks/old' },
    status: 204,
    written: (h) => expect(exists(h, 'environments/dev/applications/docs/locks/old/message')).toBe(false),
  },
  {
    name: 'PUT team lock',
    action: 'CreateLock',
    targets: [env('staging')],
    request: json('PUT', '/api/environments/staging/teams/shop/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) => expect(exists(h, 'environments/staging/teams/shop/locks/matrix/message')).toBe(true),
  },
  {
    name: 'DELETE team lock',
    action: 'DeleteLock',
    targets: [env('dev')],
    request: { method: 'DELETE', url: '/api/environments/dev/teams/shop/locks/old' },
    status: 204,
    written: (h) => expect(exists(h, 'environments/dev/teams/shop/locks/old/message')).toBe(false),
  },
  {
    name: 'PUT group lock',
    action: 'CreateLock',
    targets: [env('prod-de'), env('prod-fr')],
    request: json('PUT', '/api/environment-groups/prod/locks/matrix', LOCK_BODY),
    status: 200,
    written: (h) => {
      expect(exists(h, 'environments/prod-de/locks/matrix/message')).toBe(true);
      expect(exists(h, 'environments/prod-fr/locks/matrix/message')).toBe(true);
    },
  },
  {
    name: 'POST environment',
    action: 'CreateEnvironment',
    targets: [env('prod-it')],
    request: json('POST', '/api/environments/prod-it', {
      upstream: { environment: 'staging' },
      environmentGroup: 'prod',
    }),
    status: 201,
    written: (h) =>
      expect(JSON.parse(h.fixture.show('environments/prod-it/config.json'))).toEqual({
        upstream: { environment: 'staging' },
        environmentGroup: 'prod',
      }),
  },
  {
    name: 'POST release',
    action: 'CreateRelease',
    targets: [env('dev', 'checkout'), env('prod-de', 'checkout')],
    request: (() => {
      const { payload, contentType } = multipart([
        ['application', 'checkout'],
        ['manifests[dev]', 'kind: List\n'],
        ['manifests[prod-de]', 'kind: List\n'],
      ]);
      return { method: 'POST', url: '/api/release', payload, contentType } satisfies Sent;
    })(),
    status: 201,
    written: (h) => {
      expect(h.fixture.show('applications/checkout/releases/3/environments/dev/manifests.yaml')).toBe(
        'kind: List\n',
      );
      expect(exists(h, 'applications/checkout/releases/3/environments/prod-de/manifests.yaml')).toBe(true);
    },
  },
  {
    name: 'PUT deployment',
    action: 'DeployRelease',
    targets: [env('staging', 'checkout')],
    request: json('PUT', '/api/environments/staging/applications/checkout/deployment', {
      version: 2,
      lockBehavior: 'fail',
    }),
    status: 200,
    written: (h) =>
      expect(symlinkOf(h, 'environments/staging/applications/checkout/version')).toBe(
        '../../../../applications/checkout/releases/2',
      ),
  },
  {
    name: 'PUT environment release train',
    action: 'DeployReleaseTrain',
    targets: [env('staging')],
    request: json('PUT', '/api/environments/staging/releasetrain'),
    status: 200,
    written: (h) => {
      for (const app of ['checkout', 'search', 'docs']) {
        expect(symlinkOf(h, `environments/staging/applications/${app}/version`)).toBe(
          `../../../../applications/${app}/releases/2`,
        );
      }
    },
  },
  {
    name: 'PUT group release train',
    action: 'DeployReleaseTrain',
    targets: [env('prod-de'), env('prod-fr')],
    request: json('PUT', '/api/environment-groups/prod/releasetrain'),
    status: 200,
    written: (h) => {
      for (const environment of ['prod-de', 'prod-fr']) {
        expect(symlinkOf(h, `environments/${environment}/applications/search/version`)).toBe(
          '../../../../applications/search/releases/1',
        );
      }
    },
  },
  {
    name: 'PUT release train on the older path (a group)',
    action: 'DeployReleaseTrain',
    targets: [env('prod-de'), env('prod-fr')],
    request: json('PUT', '/environments/prod/releasetrain'),
    status: 200,
    written: (h) =>
      expect(symlinkOf(h, 'environments/prod-fr/applications/docs/version')).toBe(
        '../../../../applications/docs/releases/1',
      ),
  },
  {
    name: 'POST undeploy version',
    action: 'CreateUndeploy',
    // Every environment, in name order.
    targets: ['dev', 'prod-de', 'prod-fr', 'staging'].map((environment) => env(environment, 'checkout')),
    request: json('POST', '/api/applications/checkout/undeploy'),
    status: 201,
    written: (h) => {
      expect(exists(h, 'applications/checkout/releases/3/undeploy')).toBe(true);
      // dev is locked: queued there.
      expect(symlinkOf(h, 'environments/dev/applications/checkout/queued_version')).toBe(
        '../../../../applications/checkout/releases/3',
      );
    },
  },
  {
    name: 'DELETE application from an environment',
    action: 'DeleteEnvironmentApplication',
    targets: [env('dev', 'docs')],
    request: { method: 'DELETE', url: '/api/environments/dev/applications/docs' },
    status: 200,
    written: (h) => expect(exists(h, 'environments/dev/applications/docs/version')).toBe(false),
  },
];

function send(h: Pick<Harness, 'app'>, sent: Sent, headers: Record<string, string>) {
  return h.app.inject({
    method: sent.method,
    url: sent.url,
    headers: { ...headers, ...(sent.contentType ? { 'content-type': sent.contentType } : {}) },
    ...(sent.payload !== undefined ? { payload: sent.payload as string } : {}),
  });
}

describe('an authorization matrix generated from the policy', () => {
  let h: Harness;
  let saved: SavedRefs;
  let initial: string;

  beforeAll(async () => {
    h = await startHarness(MATRIX_WORLD, {
      authenticator,
      permissions: new Permissions(parsePolicy(POLICY_TEXT, 'policy.csv')),
    });
    saved = h.fixture.saveRefs();
    initial = h.fixture.tip();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('the oracle refuses what the policy was written to refuse (a hand check of the oracle)', () => {
    const refusals = (identity: TestIdentity) =>
      Object.fromEntries(
        REQUESTS.flatMap((request) => {
          const refused = refusedEnvironment(identity, request);
          return refused === undefined ? [] : [[request.name, refused]];
        }),
      );
    expect(refusals(ALICE)).toEqual({
      'PUT environment lock in a group': 'prod-de',
      'DELETE environment lock': 'dev',
      'PUT application lock (search)': 'prod-de',
      'DELETE team lock': 'dev',
      'PUT group lock': 'prod-de',
      'POST environment': 'prod-it',
      'POST release': 'prod-de',
      'PUT group release train': 'prod-de',
      'PUT release train on the older path (a group)': 'prod-de',
      'POST undeploy version': 'dev',
    });
    expect(refusals(BOB)).toEqual({
      'PUT environment lock': 'staging',
      'PUT team lock': 'staging',
      'PUT deployment': 'staging',
      'PUT group release train': 'prod-fr',
      'PUT release train on the older path (a group)': 'prod-fr',
      'DELETE application from an environment': 'dev',
    });
    expect(refusals(CAROL)).toEqual({});
    expect(Object.keys(refusals(EVE))).toHaveLength(REQUESTS.length);
    // Every route is allowed for someone and refused for someone.
    for (const request of REQUESTS) {
      const outcomes = IDENTITIES.map((identity) => refusedEnvironment(identity, request) === undefined);
      expect(outcomes, request.name).toContain(true);
      expect(outcomes, request.name).toContain(false);
    }
  });

  const cells = IDENTITIES.flatMap((identity) => REQUESTS.map((request) => ({ identity, request })));
  it.each(
    cells.map((cell, index) => ({ ...cell, index, label: `${cell.identity.key}: ${cell.request.name}` })),
  )('$label', async ({ identity, request, index }) => {
    // Every cell starts on the same commit.
    h.fixture.restoreRefs(saved);
    const requestId = `matrix-${index}`;
    const response = await send(h, request.request, as(identity, requestId));
    const refused = refusedEnvironment(identity, request);
    if (refused === undefined) {
      expect(response.statusCode, response.body).toBe(request.status);
      expectOneCommit(h, initial, requestId, authorOf(identity));
      request.written(h);
    } else {
      const body = expectError(response, 403, 'FORBIDDEN');
      expect(body.message).toContain(`'${refused}'`);
      expect(body.details).toMatchObject({
        action: request.action,
        environment: refused,
        environmentGroup: GROUP_OF[refused],
      });
      expect(h.fixture.tip()).toBe(initial);
    }
  });

  it('lets everyone with an identity read: prognoses and the overview need no permission', async () => {
    h.fixture.restoreRefs(saved);
    for (const url of [
      '/api/environments/staging/releasetrain/prognosis',
      '/api/environment-groups/prod/releasetrain/prognosis',
      '/api/overview',
    ]) {
      const response = await h.app.inject({ url, headers: as(EVE) });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    }
    const prognosis = await h.app.inject({
      url: '/api/environments/staging/releasetrain/prognosis',
      headers: as(EVE),
    });
    expect(prognosis.json().envsPrognoses.staging.appsPrognoses.prognoses.search).toEqual({
      deployedVersion: { version: 2 },
    });
    expect(h.fixture.tip()).toBe(initial);
  });

  it('refuses a request without a valid token with 401 before any permission is looked at', async () => {
    h.fixture.restoreRefs(saved);
    for (const headers of [{}, { authorization: 'Bearer not-a-known-token' }]) {
      const response = await h.app.inject({
        method: 'PUT',
        url: '/api/environment-groups/prod/releasetrain',
        headers,
        payload: {},
      });
      expectError(response, 401, 'UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    }
    expect(h.fixture.tip()).toBe(initial);
  });

  it('writes nothing of a group train when one environment of the group is refused', async () => {
    h.fixture.restoreRefs(saved);
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
      headers: as(BOB, 'group-train-bob'),
      payload: {},
    });
    const body = expectError(response, 403, 'FORBIDDEN');
    expect(body.message).toContain("environment 'prod-fr'");
    expect(body.message).not.toContain("'prod-de'");
    expect(h.fixture.tip()).toBe(initial);
    expect(h.fixture.git(['rev-list', '--count', 'main']).trim()).toBe('1');
    // prod-de alone is allowed: the same caller's train to it is written.
    const alone = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-de/releasetrain',
      headers: as(BOB, 'env-train-bob'),
      payload: {},
    });
    expect(alone.statusCode, alone.body).toBe(200);
    expectOneCommit(h, initial, 'env-train-bob', authorOf(BOB));
    expect(Object.keys(alone.json().envsPrognoses)).toEqual(['prod-de']);
  });

  it('needs CreateEnvironment in the group an environment moves out of as well as the one it moves into', async () => {
    // bob may CreateEnvironment in prod:* only.
    const attempts: [string, Record<string, unknown>, string, string][] = [
      // Out of prod: prod-de would be its own group.
      ['prod-de', { upstream: { environment: 'staging' } }, 'prod-de', 'prod-de'],
      // Into prod: allowed there, but staging is in its own group now.
      ['staging', { upstream: { environment: 'dev' }, environmentGroup: 'prod' }, 'staging', 'staging'],
    ];
    for (const [environment, config, refused, group] of attempts) {
      h.fixture.restoreRefs(saved);
      const response = await h.app.inject({
        method: 'POST',
        url: `/api/environments/${environment}`,
        headers: as(BOB),
        payload: config,
      });
      const body = expectError(response, 403, 'FORBIDDEN');
      expect(body.details).toMatchObject({
        action: 'CreateEnvironment',
        environment: refused,
        environmentGroup: group,
      });
      expect(h.fixture.tip()).toBe(initial);
    }
    // Staying in prod is allowed.
    h.fixture.restoreRefs(saved);
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/environments/prod-de',
      headers: as(BOB, 'stay-in-prod'),
      payload: { upstream: { environment: 'dev' }, environmentGroup: 'prod' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expectOneCommit(h, initial, 'stay-in-prod', authorOf(BOB));
  });
});

// ---------------------------------------------------------------------------------------------
// Before the queue: a refused caller is answered on the tip as cached, without waiting for its
// turn or fetching (security.md: "checked before a write waits for its turn, and again on the tip
// it commits to"). On a git server, so that a write can be held inside the queue (its push waits
// for a file) and the fetches can be counted where they arrive.

describe('permissions before the queue', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function remoteService(): Promise<{ world: RemoteWorld; app: Harness['app']; gate: string }> {
    const world = await createRemoteWorld(MATRIX_WORLD);
    cleanups.push(() => world.cleanup());
    const service = await startRemoteService(world, {
      dependencies: { authenticator, permissions: new Permissions(parsePolicy(POLICY_TEXT, 'policy.csv')) },
    });
    const gate = join(world.root, 'open-the-gate');
    // Opened first: a test that fails while a push is held must not leave the push waiting.
    cleanups.push(async () => {
      await writeFile(gate, '');
      await service.close();
    });
    return { world, app: service.app, gate };
  }

  it('a caller without permission gets 403 at once while another write holds the queue: no wait, no fetch, nothing written', async () => {
    const { world, app, gate } = await remoteService();
    world.interceptPushes(`while [ ! -e ${gate} ]; do sleep 0.05; done`);
    world.interceptFetches('');
    const seeded = world.remoteRefs();
    // carol (admin) runs a train; its push waits at the git server, holding the queue.
    const held = app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: as(CAROL, 'held-train'),
      payload: {},
    });
    await vi.waitFor(() => expect(world.runs('receive-pack')).toBe(1), { timeout: 30_000, interval: 20 });
    const fetches = world.runs('upload-pack');

    for (const request of REQUESTS) {
      const response = await send({ app }, request.request, as(EVE));
      expectError(response, 403, 'FORBIDDEN');
    }
    expect(world.runs('upload-pack')).toBe(fetches);
    const metrics = await app.inject({ url: '/metrics', headers: as(EVE) });
    expect(metrics.body).toMatch(/^trainyard_write_queue_depth 1$/m);
    expect(world.remoteRefs()).toBe(seeded);
    expect(existsSync(gate)).toBe(false);

    await writeFile(gate, '');
    const train = await held;
    expect(train.statusCode, train.body).toBe(200);
    expect(world.remoteTip()).toBe(train.json().commitId);
    expect(world.remoteGit(['rev-list', '--count', 'main']).trim()).toBe('2');
    expect(world.remoteGit(['log', '-1', '--format=%ae', 'main']).trim()).toBe(CAROL.email);
  });

  it('is checked again on the tip the write commits to: an environment moved out of the allowed group meanwhile is refused', async () => {
    const { world, app } = await remoteService();
    // bob may lock in the group prod; prod-de is in it as the clone has it...
    const lockInProdDe = REQUESTS.find((request) => request.name === 'PUT environment lock in a group');
    if (!lockInProdDe) throw new Error('the matrix has no lock in prod-de');
    // ...but not on the git server any more.
    world.pushFromOutside(
      layoutFiles({
        environments: {
          'prod-de': { config: { upstream: { environment: 'staging' }, environmentGroup: 'eu' } },
        },
      }),
      'Move prod-de to eu',
    );
    const moved = world.remoteTip();
    const response = await send({ app }, lockInProdDe.request, as(BOB));
    const body = expectError(response, 403, 'FORBIDDEN');
    expect(body.details).toMatchObject({ environment: 'prod-de', environmentGroup: 'eu' });
    expect(world.remoteTip()).toBe(moved);
  });
});

describe('without a policy', () => {
  const start = harnessPerTest();

  it('lets every identified caller write', async () => {
    const h = await start(MATRIX_WORLD, { authenticator, permissions: new Permissions() });
    const saved = h.fixture.saveRefs();
    const initial = h.fixture.tip();
    for (const [index, request] of REQUESTS.entries()) {
      // Each request expects the fixture's state.
      h.fixture.restoreRefs(saved);
      const requestId = `open-${index}`;
      const response = await send(h, request.request, as(EVE, requestId));
      expect(response.statusCode, `${request.name}: ${response.body}`).toBe(request.status);
      expectOneCommit(h, initial, requestId, authorOf(EVE));
      request.written(h);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// TEAMS_FILE: trains skip the apps of teams the caller is not in.

const TEAMS_YAML = 'team-a:\n  - alice@example.com\nteam-b:\n  - group-b\n';

const TEAM_ENVS = ['dev', 'staging', 'qa'];
const TEAM_WORLD = layoutFiles({
  apps: {
    alpha: { team: 'team-a', releases: { 1: TEAM_ENVS, 2: TEAM_ENVS } },
    beta: { team: 'team-b', releases: { 1: TEAM_ENVS, 2: TEAM_ENVS } },
    gamma: { releases: { 1: TEAM_ENVS, 2: TEAM_ENVS } },
    // Release 2 has no manifest for staging or qa.
    delta: { team: 'team-b', releases: { 1: TEAM_ENVS, 2: ['dev'] } },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { alpha: 2, beta: 2, gamma: 2, delta: 2 } },
    staging: {
      config: { upstream: { environment: 'dev' } },
      deployed: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
    },
    qa: {
      config: { upstream: { environment: 'dev' } },
      deployed: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
      teamLocks: { 'team-b': { audit: {} } },
    },
  },
});

const AUDIT_LOCK_VIEW = {
  lockId: 'audit',
  message: LOCK_DEFAULTS.message,
  createdAt: LOCK_DEFAULTS.createdAt,
  createdBy: { name: LOCK_DEFAULTS.createdByName, email: LOCK_DEFAULTS.createdByEmail },
};

const DEPLOY_2 = { deployedVersion: { version: 2 } };
const skip = (skipCause: string) => ({ skipCause });

describe('TEAMS_FILE', () => {
  const start = harnessPerTest();
  const startTeams = () =>
    start(TEAM_WORLD, {
      authenticator,
      permissions: new Permissions(undefined, parseTeamsFile(TEAMS_YAML, 'teams.yaml')),
    });

  const prognosis = async (h: Harness, identity: TestIdentity, environment: string, query = '') => {
    const response = await h.app.inject({
      url: `/api/environments/${environment}/releasetrain/prognosis${query}`,
      headers: as(identity),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().envsPrognoses[environment].appsPrognoses.prognoses;
  };

  it("a train by alice deploys her team's apps and apps without a team, and skips the others with NO_TEAM_PERMISSION", async () => {
    const h = await startTeams();
    const before = h.fixture.tip();
    const expected = {
      alpha: DEPLOY_2,
      beta: skip('NO_TEAM_PERMISSION'),
      // Rule 4 comes first: delta is of team-b too, but has no manifest for staging.
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    };
    expect(await prognosis(h, ALICE, 'staging')).toEqual(expected);

    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: as(ALICE, 'alice-train'),
      payload: {},
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().envsPrognoses.staging.appsPrognoses.prognoses).toEqual(expected);
    expectOneCommit(h, before, 'alice-train', authorOf(ALICE));

    const version = (app: string) => h.fixture.show(`environments/staging/applications/${app}/version`);
    expect(version('alpha')).toBe('../../../../applications/alpha/releases/2');
    expect(version('gamma')).toBe('../../../../applications/gamma/releases/2');
    expect(version('beta')).toBe('../../../../applications/beta/releases/1');
    expect(version('delta')).toBe('../../../../applications/delta/releases/1');
    expect(h.fixture.git(['diff', '--name-only', before, 'main'])).not.toMatch(
      /applications\/(beta|delta)\//,
    );

    const message = h.fixture.git(['log', '-1', '--format=%B', 'main']).split('\n');
    expect(message).toContain("The release train deployed 2 services from 'dev' to 'staging'");
    expect(message).toContain('deployed version 2 of "alpha" to "staging"');
    expect(message).toContain('deployed version 2 of "gamma" to "staging"');
    expect(message).toContain(
      'skipping application "delta" in environment "staging" because it doesn\'t exist there',
    );
    const skipLines = message.filter((line) => line.includes('"beta"'));
    expect(skipLines).toHaveLength(1);
    expect(skipLines[0]).toMatch(/^skipping application "beta" in environment "staging" .*"team-b"/);
    expect(message.indexOf('Skipped services')).toBeLessThan(message.indexOf(skipLines[0]!));

    // Afterwards the prognosis shows the rest as it is.
    expect(await prognosis(h, ALICE, 'staging')).toEqual({
      alpha: skip('APP_ALREADY_IN_UPSTREAM_VERSION'),
      beta: skip('NO_TEAM_PERMISSION'),
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: skip('APP_ALREADY_IN_UPSTREAM_VERSION'),
    });
  });

  it("a caller in group-b gets team-b's apps and not team-a's", async () => {
    const h = await startTeams();
    const before = h.fixture.tip();
    const response = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: as(BOB, 'bob-train'),
      payload: {},
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().envsPrognoses.staging.appsPrognoses.prognoses).toEqual({
      alpha: skip('NO_TEAM_PERMISSION'),
      beta: DEPLOY_2,
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    });
    expectOneCommit(h, before, 'bob-train', authorOf(BOB));
    expect(h.fixture.show('environments/staging/applications/beta/version')).toBe(
      '../../../../applications/beta/releases/2',
    );
    expect(h.fixture.show('environments/staging/applications/alpha/version')).toBe(
      '../../../../applications/alpha/releases/1',
    );
  });

  it('a caller in no team gets only the apps without a team', async () => {
    const h = await startTeams();
    expect(await prognosis(h, EVE, 'staging')).toEqual({
      alpha: skip('NO_TEAM_PERMISSION'),
      beta: skip('NO_TEAM_PERMISSION'),
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    });
  });

  it('NO_TEAM_PERMISSION comes after APP_DOES_NOT_EXIST_IN_ENV and before TEAM_IS_LOCKED', async () => {
    const h = await startTeams();
    // qa has a lock on team-b: alice is not in team-b, so she is told that first.
    expect(await prognosis(h, ALICE, 'qa')).toEqual({
      alpha: DEPLOY_2,
      beta: skip('NO_TEAM_PERMISSION'),
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    });
    // A member of team-b meets the team lock.
    expect(await prognosis(h, BOB, 'qa')).toEqual({
      alpha: skip('NO_TEAM_PERMISSION'),
      beta: { skipCause: 'TEAM_IS_LOCKED', teamLocks: [AUDIT_LOCK_VIEW] },
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    });
    // With a team filter the other team's apps are still listed as not permitted.
    expect(await prognosis(h, ALICE, 'qa', '?team=team-b')).toEqual({
      beta: skip('NO_TEAM_PERMISSION'),
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
    });
  });

  it('without TEAMS_FILE, trains are not restricted by team', async () => {
    const h = await start(TEAM_WORLD, { authenticator, permissions: new Permissions() });
    expect(await prognosis(h, ALICE, 'staging')).toEqual({
      alpha: DEPLOY_2,
      beta: DEPLOY_2,
      delta: skip('APP_DOES_NOT_EXIST_IN_ENV'),
      gamma: DEPLOY_2,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// RATE_LIMIT_WRITES_PER_MINUTE: per verified identity, writes only.

describe('the write rate limit', () => {
  const start = harnessPerTest();

  it('refuses the 4th write of one identity with 429 RATE_LIMITED and Retry-After, writes nothing, and limits no one else and no read', async () => {
    const h = await start(MATRIX_WORLD, {
      authenticator,
      permissions: new Permissions(),
      writesPerMinute: 3,
    });
    const lock = (identity: TestIdentity, lockId: string) =>
      h.app.inject({
        method: 'PUT',
        url: `/api/environments/staging/locks/${lockId}`,
        headers: as(identity, `rate-${lockId}`),
        payload: LOCK_BODY,
      });
    const read = async (identity: TestIdentity) => {
      for (const url of ['/api/environments/staging/releasetrain/prognosis', '/api/overview']) {
        const response = await h.app.inject({ url, headers: as(identity) });
        expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      }
    };

    // Reads before the writes do not use up the allowance.
    for (let i = 0; i < 4; i++) await read(ALICE);
    for (const lockId of ['a1', 'a2', 'a3']) {
      const before = h.fixture.tip();
      const response = await lock(ALICE, lockId);
      expect(response.statusCode, response.body).toBe(200);
      expectOneCommit(h, before, `rate-${lockId}`, authorOf(ALICE));
    }

    const before = h.fixture.tip();
    const limited = await lock(ALICE, 'a4');
    expectError(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(h.fixture.tip()).toBe(before);
    expect(h.fixture.modeOf('environments/staging/locks/a4/message')).toBeUndefined();

    // Other kinds of write are limited too (the limit is per caller, not per route).
    const train = await h.app.inject({
      method: 'PUT',
      url: '/api/environments/staging/releasetrain',
      headers: as(ALICE),
      payload: {},
    });
    expectError(train, 429, 'RATE_LIMITED');
    expect(h.fixture.tip()).toBe(before);

    // Another identity is not limited by alice's writes.
    const bob = await lock(BOB, 'b1');
    expect(bob.statusCode, bob.body).toBe(200);
    expectOneCommit(h, before, 'rate-b1', authorOf(BOB));

    // Reads are never limited, not even for the limited identity.
    for (let i = 0; i < 4; i++) await read(ALICE);
  });

  it('limits before the body is read: a limited caller sending a malformed or oversized body gets 429, not 400 or 413', async () => {
    const h = await start(MATRIX_WORLD, {
      authenticator,
      permissions: new Permissions(),
      writesPerMinute: 1,
    });
    const url = '/api/environments/staging/locks/limited';
    const first = await h.app.inject({ method: 'PUT', url, headers: as(ALICE), payload: LOCK_BODY });
    expect(first.statusCode, first.body).toBe(200);
    const before = h.fixture.tip();
    const json = { ...as(ALICE), 'content-type': 'application/json' };
    for (const payload of ['{"message": ', JSON.stringify({ message: 'm'.repeat(2 * 1024 * 1024) })]) {
      expectError(await h.app.inject({ method: 'PUT', url, headers: json, payload }), 429, 'RATE_LIMITED');
    }
    const { payload, contentType } = fieldsBody({
      application: 'checkout',
      'manifests[dev]': 'x'.repeat(2048),
    });
    const release = await h.app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { ...as(ALICE), 'content-type': contentType },
      payload,
    });
    expectError(release, 429, 'RATE_LIMITED');
    expect(h.fixture.tip()).toBe(before);
    // Another caller's malformed body is still a 400.
    expectError(
      await h.app.inject({ method: 'PUT', url, headers: { ...json, ...as(BOB) }, payload: '{' }),
      400,
      'INVALID_JSON',
    );
  });
});
