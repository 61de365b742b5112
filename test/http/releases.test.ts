// POST /api/release (and /release): the multipart form of Kuberpult's CI scripts, the files a
// release writes, its automatic deployments, and every way the request can be refused.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createManifestRepository } from '../../src/manifest/repository.js';
import { gitBytes } from '../manifest/support.js';
import { base64, FIXED_TIME, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { createFixtureRepo, type FixtureFiles } from '../support/gitFixture.js';
import { layoutFiles, manifestContent } from '../support/layout.js';
import { FORM_BOUNDARY, type FormPart, multipartBody } from '../support/multipart.js';

// The harnesses of the file, one per world (its refs put back before each test); `own`: one a
// test made itself, closed after it.
const start = harnessPerWorld();
let harness: Harness | undefined;
let own: Harness | undefined;
afterEach(async () => {
  await own?.close();
  own = undefined;
  harness = undefined;
});

// ---------------------------------------------------------------------------------------------
// Multipart bodies by hand.

type Part = FormPart;
const BOUNDARY = FORM_BOUNDARY;
const multipart = multipartBody;

const field = (name: string, value: string): Part => ({ name, value });
const file = (name: string, value: string | Buffer, filename = 'manifests.yaml'): Part => ({
  name,
  value,
  filename,
  contentType: 'application/octet-stream',
});

const AUTHOR_HEADERS = {
  'author-name': base64('Zoë Müller'),
  'author-email': base64('zoe@example.com'),
};

function postRelease(
  parts: readonly Part[],
  options: { url?: string; headers?: Record<string, string>; app?: Harness['app'] } = {},
) {
  const { payload, contentType } = multipart(parts);
  const app = options.app ?? (harness as Harness).app;
  return app.inject({
    method: 'POST',
    url: options.url ?? '/api/release',
    headers: { 'content-type': contentType, ...AUTHOR_HEADERS, ...options.headers },
    payload,
  });
}

// ---------------------------------------------------------------------------------------------
// Looking at the repo with plain git.

const h = () => harness as Harness;
const tip = () => h().fixture.tip();
const commitCount = () => Number(h().fixture.git(['rev-list', '--count', 'main']).trim());
/** A blob's bytes at the tip, exactly as git stores them. */
const blob = (path: string, commit = 'main') =>
  gitBytes(h().fixture.path, ['cat-file', 'blob', `${commit}:${path}`]);
const text = (path: string) => blob(path).toString('utf8');
const mode = (path: string) => h().fixture.modeOf(path);
/** Every file under a directory at the tip, sorted (git's order). */
const filesUnder = (path: string) =>
  h()
    .fixture.git(['ls-tree', '-r', '--name-only', 'main', '--', path])
    .split('\n')
    .filter((line) => line !== '');
/** The paths one commit changed. */
const changedBy = (commit: string) =>
  h()
    .fixture.git(['diff-tree', '--no-commit-id', '--name-only', '-r', `${commit}^`, commit])
    .split('\n')
    .filter((line) => line !== '');
const trailer = (key: string) =>
  h()
    .fixture.git(['log', '-1', `--format=%(trailers:key=${key},valueonly,unfold)`, 'main'])
    .trim();

function expectError(response: { statusCode: number; json(): unknown }, statusCode: number, code: string) {
  expect(response.statusCode).toBe(statusCode);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ statusCode, error: expect.any(String), message: expect.any(String), code });
  return body;
}

const DEPLOYMENT_FILES = [
  'deployed_at_utc',
  'deployed_by',
  'deployed_by_email',
  'manifests/manifests.yaml',
  'version',
];

function expectDeployed(environment: string, app: string, version: number, manifest: string | Buffer) {
  const path = `environments/${environment}/applications/${app}`;
  expect(mode(`${path}/version`)).toBe('120000 blob');
  expect(text(`${path}/version`)).toBe(`../../../../applications/${app}/releases/${version}`);
  expect(blob(`${path}/manifests/manifests.yaml`)).toEqual(Buffer.from(manifest));
  expect(text(`${path}/deployed_by`)).toBe('Zoë Müller');
  expect(text(`${path}/deployed_by_email`)).toBe('zoe@example.com');
  expect(text(`${path}/deployed_at_utc`)).toBe(FIXED_TIME.toISOString());
}

// ---------------------------------------------------------------------------------------------
// A small world: two environments that take the latest release, one downstream of dev.

const ENVIRONMENTS = {
  dev: { config: { upstream: { latest: true } } },
  qa: { config: { upstream: { latest: true } } },
  staging: { config: { upstream: { environment: 'dev' } } },
};

const WORLD: FixtureFiles = layoutFiles({
  apps: {
    checkout: { team: 'shop', releases: { 1: ['dev', 'qa', 'staging'], 2: ['dev', 'qa', 'staging'] } },
  },
  environments: {
    dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 2 } },
    qa: { ...ENVIRONMENTS.qa, deployed: { checkout: 2 } },
    staging: { ...ENVIRONMENTS.staging, deployed: { checkout: 1 } },
  },
});

/** YAML with what tends to get lost: CRLF, tabs, trailing blanks, non-ASCII, no final newline. */
const DEV_MANIFEST =
  'apiVersion: v1\r\nkind: ConfigMap\r\ndata:\r\n  greeting: "grüß dich 👋"\t \r\n  empty: ""  ';
const STAGING_MANIFEST = '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\n\n\n';

describe('POST /api/release creates a release', () => {
  it('writes the release files byte for byte in one commit with the author, Request-Id and Ci-Link', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await postRelease(
      [
        field('application', 'search'),
        field('team', 'discovery'),
        field('source_commit_id', '0123456789abcdef0123456789abcdef01234567'),
        field('source_author', 'Zoë Müller <zoe@example.com>'),
        field('source_message', 'Make search faster\n\nA body with a blank line.\nTrailer-Like: no'),
        field('display_version', 'v1.2.3-rc.1'),
        field('ci_link', 'https://ci.example.com/pipelines/42?job=7'),
        file('manifests[dev]', DEV_MANIFEST, 'dev.yaml'),
        field('manifests[staging]', STAGING_MANIFEST),
      ],
      { headers: { 'x-request-id': 'release-req-1' } },
    );

    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ application: 'search', version: 1 });
    expect(response.headers['x-request-id']).toBe('release-req-1');

    // Exactly one commit, on the old tip.
    expect(commitCount()).toBe(2);
    expect(h().fixture.git(['rev-parse', 'main^']).trim()).toBe(before);

    const release = 'applications/search/releases/1';
    expect(filesUnder('applications/search')).toEqual([
      'applications/search/releases/1/created_at',
      'applications/search/releases/1/display_version',
      'applications/search/releases/1/environments/dev/manifests.yaml',
      'applications/search/releases/1/environments/staging/manifests.yaml',
      'applications/search/releases/1/source_author',
      'applications/search/releases/1/source_commit_id',
      'applications/search/releases/1/source_message',
      'applications/search/team',
    ]);
    expect(blob(`${release}/environments/dev/manifests.yaml`)).toEqual(Buffer.from(DEV_MANIFEST, 'utf8'));
    expect(blob(`${release}/environments/staging/manifests.yaml`)).toEqual(
      Buffer.from(STAGING_MANIFEST, 'utf8'),
    );
    expect(text(`${release}/created_at`)).toBe('2026-11-26T10:00:00.000Z');
    expect(text(`${release}/source_commit_id`)).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(text(`${release}/source_author`)).toBe('Zoë Müller <zoe@example.com>');
    expect(text(`${release}/source_message`)).toBe(
      'Make search faster\n\nA body with a blank line.\nTrailer-Like: no',
    );
    expect(text(`${release}/display_version`)).toBe('v1.2.3-rc.1');
    expect(text('applications/search/team')).toBe('discovery');

    // The author is the caller, the committer the service; the time is the service's clock.
    const [author, committer, date] = h()
      .fixture.git(['log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%aI', 'main'])
      .trim()
      .split('\n');
    expect(author).toBe('Zoë Müller <zoe@example.com>');
    expect(committer).toBe('Trainyard <trainyard@trainyard.invalid>');
    expect(date).toBe('2026-11-26T10:00:00+00:00');
    expect(trailer('Request-Id')).toBe('release-req-1');
    expect(trailer('Ci-Link')).toBe('https://ci.example.com/pipelines/42?job=7');
    // The source message is stored in a file, never in the commit message.
    const message = h().fixture.git(['log', '-1', '--format=%B', 'main']);
    expect(message).not.toContain('Trailer-Like');
    expect(
      h().fixture.git(['log', '-1', '--format=%(trailers:only,unfold)', 'main']).trim().split('\n'),
    ).toEqual(['Ci-Link: https://ci.example.com/pipelines/42?job=7', 'Request-Id: release-req-1']);
  });

  it('answers the same on the older path /release', async () => {
    harness = await start(WORLD);
    const response = await postRelease(
      [field('application', 'checkout'), file('manifests[dev]', 'kind: List\n')],
      { url: '/release' },
    );
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ application: 'checkout', version: 3 });
    expect(commitCount()).toBe(2);
    expect(text('applications/checkout/releases/3/environments/dev/manifests.yaml')).toBe('kind: List\n');
  });

  it('writes only created_at and the manifests when nothing optional is given, and no Ci-Link', async () => {
    harness = await start(WORLD);
    const response = await postRelease([field('application', 'docs'), field('manifests[dev]', 'a: 1\n')]);
    expect(response.statusCode).toBe(201);
    expect(filesUnder('applications/docs')).toEqual([
      'applications/docs/releases/1/created_at',
      'applications/docs/releases/1/environments/dev/manifests.yaml',
    ]);
    expect(mode('applications/docs/team')).toBeUndefined();
    expect(trailer('Ci-Link')).toBe('');
    // A request id is generated when the client sends none.
    expect(trailer('Request-Id')).toBe(response.headers['x-request-id']);
    expect(trailer('Request-Id')).not.toBe('');
  });

  it('keeps the team file of an app when a later release names no team', async () => {
    harness = await start(WORLD);
    const response = await postRelease([field('application', 'checkout'), field('manifests[dev]', 'a: 1\n')]);
    expect(response.statusCode).toBe(201);
    expect(text('applications/checkout/team')).toBe('shop');
    expect(changedBy('main')).not.toContain('applications/checkout/team');
  });

  it('keeps a leading UTF-8 byte order mark of an uploaded file', async () => {
    harness = await start(WORLD);
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('kind: List\n')]);
    const response = await postRelease([field('application', 'docs'), file('manifests[dev]', withBom)]);
    expect(response.statusCode).toBe(201);
    expect(blob('applications/docs/releases/1/environments/dev/manifests.yaml')).toEqual(withBom);
  });

  it('uses the default identity when the author headers are absent', async () => {
    harness = await start(WORLD);
    const { payload, contentType } = multipart([
      field('application', 'docs'),
      field('manifests[dev]', 'a\n'),
    ]);
    const response = await h().app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(response.statusCode).toBe(201);
    expect(h().fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'Trainyard User <trainyard-user@trainyard.invalid>',
    );
    expect(text('environments/dev/applications/docs/deployed_by')).toBe('Trainyard User');
  });

  it('accepts and ignores the fields Kuberpult clients send that Trainyard does not use', async () => {
    harness = await start(WORLD);
    const response = await postRelease([
      field('application', 'docs'),
      field('previous_commit_id', 'abcdef'),
      field('revision', '3'),
      field('manifests[dev]', 'a: 1\n'),
      file('signatures[dev]', 'c2lnbmF0dXJl', 'dev.sig'),
    ]);
    expect(response.statusCode).toBe(201);
    expect(filesUnder('applications/docs')).toEqual([
      'applications/docs/releases/1/created_at',
      'applications/docs/releases/1/environments/dev/manifests.yaml',
    ]);
  });
});

describe('release numbers', () => {
  it('numbers a release of a new app 1, and an empty or absent version one more than the latest', async () => {
    harness = await start(WORLD);
    const create = async (version: string | undefined, app = 'checkout') =>
      postRelease([
        field('application', app),
        ...(version === undefined ? [] : [field('version', version)]),
        field('manifests[dev]', `n: ${commitCount()}\n`),
      ]);

    let response = await create(undefined, 'search');
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'search', version: 1 }]);
    response = await create('', 'search');
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'search', version: 2 }]);
    response = await create('');
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'checkout', version: 3 }]);
    response = await create(undefined);
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'checkout', version: 4 }]);
    response = await create('10');
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'checkout', version: 10 }]);
    response = await create(undefined);
    expect([response.statusCode, response.json()]).toEqual([201, { application: 'checkout', version: 11 }]);

    expect(commitCount()).toBe(1 + 6);
    expect(
      h().fixture.git(['ls-tree', '--name-only', 'main', 'applications/checkout/releases/']).split('\n'),
    ).toEqual(
      expect.arrayContaining(['applications/checkout/releases/10', 'applications/checkout/releases/11']),
    );
    expect(mode('applications/checkout/releases/5')).toBeUndefined();
  });

  it('takes the largest safe release number', async () => {
    harness = await start(WORLD);
    const response = await postRelease([
      field('application', 'docs'),
      field('version', String(Number.MAX_SAFE_INTEGER)),
      field('manifests[dev]', 'a: 1\n'),
    ]);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ application: 'docs', version: Number.MAX_SAFE_INTEGER });
    expect(
      text(`applications/docs/releases/${Number.MAX_SAFE_INTEGER}/environments/dev/manifests.yaml`),
    ).toBe('a: 1\n');
  });

  it('answers 200 without a commit when the same release is sent again, as a file or as a string', async () => {
    harness = await start(WORLD);
    const first = await postRelease([
      field('application', 'search'),
      field('version', '5'),
      file('manifests[dev]', DEV_MANIFEST),
      field('manifests[staging]', STAGING_MANIFEST),
    ]);
    expect(first.statusCode).toBe(201);
    const after = tip();

    const again = await postRelease(
      [
        field('application', 'search'),
        field('version', '5'),
        field('manifests[dev]', DEV_MANIFEST),
        file('manifests[staging]', STAGING_MANIFEST),
      ],
      { headers: { 'x-request-id': 'retry' } },
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ application: 'search', version: 5 });
    expect(tip()).toBe(after);
  });

  it('answers 200 for a release that a commit made with plain git already holds', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await postRelease([
      field('application', 'checkout'),
      field('version', '2'),
      field('manifests[dev]', manifestContent('checkout', 2, 'dev')),
      field('manifests[qa]', manifestContent('checkout', 2, 'qa')),
      file('manifests[staging]', manifestContent('checkout', 2, 'staging')),
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ application: 'checkout', version: 2 });
    expect(tip()).toBe(before);
  });

  for (const [what, manifests] of [
    ['another manifest content', { dev: 'changed\n', qa: manifestContent('checkout', 2, 'qa') }],
    ['one byte more', { dev: `${manifestContent('checkout', 2, 'dev')} `, staging: 'x' }],
    ['fewer environments', { dev: manifestContent('checkout', 2, 'dev') }],
    [
      'one more environment',
      {
        dev: manifestContent('checkout', 2, 'dev'),
        qa: manifestContent('checkout', 2, 'qa'),
        staging: manifestContent('checkout', 2, 'staging'),
        prod: 'p\n',
      },
    ],
  ] as const) {
    it(`answers 409 RELEASE_CONFLICT and writes nothing for an existing version with ${what}`, async () => {
      harness = await start(WORLD);
      const before = tip();
      const response = await postRelease([
        field('application', 'checkout'),
        field('version', '2'),
        ...Object.entries(manifests).map(([environment, content]) =>
          field(`manifests[${environment}]`, content),
        ),
      ]);
      expectError(response, 409, 'RELEASE_CONFLICT');
      expect(tip()).toBe(before);
      expect(text('applications/checkout/releases/2/environments/dev/manifests.yaml')).toBe(
        manifestContent('checkout', 2, 'dev'),
      );
    });
  }
});

describe('automatic deployment of the newest release', () => {
  it('deploys to every upstream.latest environment with a manifest, in the release commit, and nowhere else', async () => {
    harness = await start(
      layoutFiles({
        apps: { checkout: { team: 'shop', releases: { 1: ['dev', 'qa', 'staging'] } } },
        environments: {
          dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 } },
          qa: { ...ENVIRONMENTS.qa, deployed: { checkout: 1 } },
          // upstream.environment: never deployed by a release.
          staging: { ...ENVIRONMENTS.staging, deployed: { checkout: 1 } },
          // upstream.latest, but release 2 has no manifest for it.
          sandbox: { config: { upstream: { latest: true } } },
        },
      }),
    );
    const before = tip();
    const response = await postRelease(
      [
        field('application', 'checkout'),
        file('manifests[dev]', DEV_MANIFEST),
        field('manifests[qa]', 'qa: 2\n'),
        field('manifests[staging]', 'staging: 2\n'),
        // A manifest for an environment that does not exist is kept in the release only.
        field('manifests[prod]', 'prod: 2\n'),
      ],
      { headers: { 'x-request-id': 'auto-1' } },
    );
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ application: 'checkout', version: 2 });
    expect(
      h()
        .fixture.git(['rev-list', '--count', `${before}..main`])
        .trim(),
    ).toBe('1');

    expectDeployed('dev', 'checkout', 2, DEV_MANIFEST);
    expectDeployed('qa', 'checkout', 2, 'qa: 2\n');
    expect(text('environments/staging/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/1',
    );
    expect(filesUnder('environments/sandbox/applications')).toEqual([]);
    expect(filesUnder('environments/prod')).toEqual([]);

    // Exactly the release and its two deployments, in one commit.
    expect(changedBy('main')).toEqual(
      [
        'applications/checkout/releases/2/created_at',
        'applications/checkout/releases/2/environments/dev/manifests.yaml',
        'applications/checkout/releases/2/environments/prod/manifests.yaml',
        'applications/checkout/releases/2/environments/qa/manifests.yaml',
        'applications/checkout/releases/2/environments/staging/manifests.yaml',
        ...DEPLOYMENT_FILES.map((name) => `environments/dev/applications/checkout/${name}`),
        ...DEPLOYMENT_FILES.map((name) => `environments/qa/applications/checkout/${name}`),
      ].sort(),
    );
    expect(trailer('Request-Id')).toBe('auto-1');
  });

  it('deploys the first release of a new app', async () => {
    harness = await start(layoutFiles({ environments: ENVIRONMENTS }));
    const response = await postRelease([field('application', 'search'), field('manifests[dev]', 'x: 1\n')]);
    expect(response.statusCode).toBe(201);
    expectDeployed('dev', 'search', 1, 'x: 1\n');
    expect(mode('environments/dev/applications/search/queued_version')).toBeUndefined();
  });

  it('deploys an explicit version above the latest, and removes a queued version', async () => {
    harness = await start(
      layoutFiles({
        apps: { checkout: { releases: { 1: ['dev'], 2: ['dev'] } } },
        environments: { dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 }, queued: { checkout: 2 } } },
      }),
    );
    const response = await postRelease([
      field('application', 'checkout'),
      field('version', '7'),
      field('manifests[dev]', 'seven\n'),
    ]);
    expect(response.statusCode).toBe(201);
    expectDeployed('dev', 'checkout', 7, 'seven\n');
    expect(mode('environments/dev/applications/checkout/queued_version')).toBeUndefined();
    expect(changedBy('main')).toContain('environments/dev/applications/checkout/queued_version');
  });

  it('does not deploy a release numbered below the latest one', async () => {
    harness = await start(
      layoutFiles({
        apps: { checkout: { releases: { 1: ['dev'], 3: ['dev'] } } },
        environments: { dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 } } },
      }),
    );
    const response = await postRelease([
      field('application', 'checkout'),
      field('version', '2'),
      field('manifests[dev]', 'two\n'),
    ]);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ application: 'checkout', version: 2 });
    expect(changedBy('main')).toEqual([
      'applications/checkout/releases/2/created_at',
      'applications/checkout/releases/2/environments/dev/manifests.yaml',
    ]);
    expect(text('environments/dev/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/1',
    );
    expect(mode('environments/dev/applications/checkout/queued_version')).toBeUndefined();
  });

  const locked: Record<string, FixtureFiles> = {
    'an environment lock': layoutFiles({
      apps: { checkout: { team: 'shop', releases: { 1: ['dev', 'qa'] } } },
      environments: {
        dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 }, locks: { freeze: {} } },
        qa: { ...ENVIRONMENTS.qa, deployed: { checkout: 1 } },
      },
    }),
    'an application lock': layoutFiles({
      apps: { checkout: { team: 'shop', releases: { 1: ['dev', 'qa'] } } },
      environments: {
        dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 }, appLocks: { checkout: { hotfix: {} } } },
        // A lock of another app is not in the way.
        qa: { ...ENVIRONMENTS.qa, deployed: { checkout: 1 }, appLocks: { search: { other: {} } } },
      },
    }),
    'a team lock of the app’s team': layoutFiles({
      apps: {
        checkout: { team: 'shop', releases: { 1: ['dev', 'qa'] } },
        search: { team: 'discovery', releases: {} },
      },
      environments: {
        dev: { ...ENVIRONMENTS.dev, deployed: { checkout: 1 }, teamLocks: { shop: { audit: {} } } },
        // A lock of another team is not in the way.
        qa: { ...ENVIRONMENTS.qa, deployed: { checkout: 1 }, teamLocks: { discovery: { audit: {} } } },
      },
    }),
  };
  for (const [lock, files] of Object.entries(locked)) {
    it(`writes queued_version instead of deploying when dev has ${lock}`, async () => {
      harness = await start(files);
      const response = await postRelease([
        field('application', 'checkout'),
        field('manifests[dev]', 'dev: 2\n'),
        field('manifests[qa]', 'qa: 2\n'),
      ]);
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ application: 'checkout', version: 2 });
      const dev = 'environments/dev/applications/checkout';
      expect(mode(`${dev}/queued_version`)).toBe('120000 blob');
      expect(text(`${dev}/queued_version`)).toBe('../../../../applications/checkout/releases/2');
      // The deployed version and its files are as they were.
      expect(text(`${dev}/version`)).toBe('../../../../applications/checkout/releases/1');
      expect(text(`${dev}/manifests/manifests.yaml`)).toBe(manifestContent('checkout', 1, 'dev'));
      expect(text(`${dev}/deployed_by`)).toBe('Fixture Author');
      // qa is not locked for checkout: deployed in the same commit.
      expectDeployed('qa', 'checkout', 2, 'qa: 2\n');
      expect(changedBy('main')).toEqual(
        [
          'applications/checkout/releases/2/created_at',
          'applications/checkout/releases/2/environments/dev/manifests.yaml',
          'applications/checkout/releases/2/environments/qa/manifests.yaml',
          `${dev}/queued_version`,
          ...DEPLOYMENT_FILES.map((name) => `environments/qa/applications/checkout/${name}`),
        ].sort(),
      );
    });
  }

  it('queues the first release of a new app when its team, given in the same request, is locked', async () => {
    harness = await start(
      layoutFiles({
        apps: { legacy: { team: 'shop', releases: { 1: ['dev'] } } },
        environments: { dev: { ...ENVIRONMENTS.dev, teamLocks: { shop: { audit: {} } } } },
      }),
    );
    const response = await postRelease([
      field('application', 'cart'),
      field('team', 'shop'),
      field('manifests[dev]', 'cart: 1\n'),
    ]);
    expect(response.statusCode).toBe(201);
    expect(text('environments/dev/applications/cart/queued_version')).toBe(
      '../../../../applications/cart/releases/1',
    );
    expect(mode('environments/dev/applications/cart/version')).toBeUndefined();
    expect(text('applications/cart/team')).toBe('shop');
  });

  for (const [how, part] of [
    ['an empty file', file('manifests[dev]', '')],
    ['an empty string field', field('manifests[dev]', '')],
  ] as const) {
    it(`deploys an empty manifest (${how}) as a single space`, async () => {
      harness = await start(layoutFiles({ environments: ENVIRONMENTS }));
      const response = await postRelease([field('application', 'search'), part]);
      expect(response.statusCode).toBe(201);
      expect(blob('applications/search/releases/1/environments/dev/manifests.yaml')).toEqual(Buffer.alloc(0));
      expectDeployed('dev', 'search', 1, ' ');
    });
  }
});

describe('invalid input is refused and writes nothing', () => {
  const manifest = field('manifests[dev]', 'a: 1\n');
  const cases: [string, Part[], string?][] = [
    ['no application', [manifest]],
    ['an empty application', [field('application', ''), manifest]],
    ['an invalid application name', [field('application', 'Check_Out'), manifest], 'application'],
    ['an application name with a path', [field('application', '../etc'), manifest]],
    ['an application name over 70 characters', [field('application', 'a'.repeat(71)), manifest]],
    ['no manifests field', [field('application', 'search')], 'manifests'],
    ['manifests[Bad_Env]', [field('application', 'search'), field('manifests[Bad_Env]', 'a\n')], 'Bad_Env'],
    ['manifests[] without a name', [field('application', 'search'), field('manifests[]', 'a\n')]],
    ['manifests[../dev]', [field('application', 'search'), field('manifests[../dev]', 'a\n')]],
    ['version "abc"', [field('application', 'search'), field('version', 'abc'), manifest], 'version'],
    ['version "0"', [field('application', 'search'), field('version', '0'), manifest], 'version'],
    ['version "-1"', [field('application', 'search'), field('version', '-1'), manifest], 'version'],
    ['version "1.5"', [field('application', 'search'), field('version', '1.5'), manifest], 'version'],
    ['version " 1"', [field('application', 'search'), field('version', ' 1'), manifest], 'version'],
    [
      'version 2^53',
      [field('application', 'search'), field('version', '9007199254740992'), manifest],
      'version',
    ],
    ['an invalid team', [field('application', 'search'), field('team', 'Shop Team'), manifest], 'team'],
    [
      'a ci_link without a scheme',
      [field('application', 'search'), field('ci_link', 'ci.example.com/1'), manifest],
      'ci_link',
    ],
    [
      'a ci_link that is not http(s)',
      [field('application', 'search'), field('ci_link', 'ftp://ci.example.com/1'), manifest],
      'ci_link',
    ],
    [
      'a ci_link with a second line',
      [field('application', 'search'), field('ci_link', 'https://ci.example.com/1\nRequest-Id: x'), manifest],
      'ci_link',
    ],
    [
      'a source_commit_id with a newline',
      [field('application', 'search'), field('source_commit_id', 'abc\ndef'), manifest],
      'source_commit_id',
    ],
    ['an unknown field', [field('application', 'search'), field('foo', 'bar'), manifest], 'foo'],
    ['two application fields', [field('application', 'search'), field('application', 'cart'), manifest]],
    [
      'two manifests for one environment',
      [field('application', 'search'), manifest, file('manifests[dev]', 'b: 2\n')],
    ],
  ];
  for (const [what, parts, mentioned] of cases) {
    it(`400 for ${what}`, async () => {
      harness = await start(WORLD);
      const before = tip();
      const body = expectError(await postRelease(parts), 400, 'INVALID_INPUT');
      if (mentioned !== undefined) expect(body.message).toContain(mentioned);
      expect(tip()).toBe(before);
    });
  }

  it('400 for a file that is not UTF-8', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await postRelease([
      field('application', 'search'),
      file('manifests[dev]', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a])),
    ]);
    expect(expectError(response, 400, 'INVALID_INPUT').message).toContain('manifests[dev]');
    expect(tip()).toBe(before);
  });

  it('400 for a string field that is not UTF-8 (never a silently altered manifest)', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await postRelease([
      field('application', 'search'),
      { name: 'manifests[dev]', value: Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) },
    ]);
    expectError(response, 400, 'INVALID_INPUT');
    expect(tip()).toBe(before);
  });

  it('400 for a multipart body cut off before its closing boundary', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await h().app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      payload: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="application"\r\n\r\nsearch`,
    });
    expect(response.statusCode).toBe(400);
    expect(tip()).toBe(before);
  });

  it('400 for a multipart content type without a boundary', async () => {
    harness = await start(WORLD);
    const response = await h().app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': 'multipart/form-data' },
      payload: 'application=search',
    });
    expect(response.statusCode).toBe(400);
  });

  it('400 for an invalid author header', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await postRelease([field('application', 'search'), manifest], {
      headers: { 'author-name': base64('Eve <root@example.com>') },
    });
    expectError(response, 400, 'INVALID_AUTHOR');
    expect(tip()).toBe(before);
  });

  it('415 for a JSON body', async () => {
    harness = await start(WORLD);
    const before = tip();
    const response = await h().app.inject({
      method: 'POST',
      url: '/api/release',
      headers: { 'content-type': 'application/json' },
      payload: { application: 'search', 'manifests[dev]': 'a: 1\n' },
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(tip()).toBe(before);
  });

  it('415 for a url-encoded form', async () => {
    harness = await start(WORLD);
    const response = await h().app.inject({
      method: 'POST',
      url: '/release',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'application=search&manifests%5Bdev%5D=a',
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('405 for another method on the release path', async () => {
    harness = await start(WORLD);
    const response = await h().app.inject({ method: 'GET', url: '/api/release' });
    expectError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('POST');
  });
});

describe('the upload limit', () => {
  const LIMIT = 2048;

  async function smallLimitApp() {
    const fixture = await createFixtureRepo(layoutFiles({ environments: ENVIRONMENTS }));
    const repo = createManifestRepository({ path: fixture.path, branch: 'main' });
    await repo.open();
    const app = await buildApp({ repo, clock: () => FIXED_TIME, releaseMaxBytes: LIMIT });
    own = {
      app,
      fixture,
      repo,
      async close() {
        await app.close();
        repo.close();
        await fixture.cleanup();
      },
    };
    harness = own;
    return own;
  }

  it('takes an upload whose fields and files add up to exactly the limit', async () => {
    const { app } = await smallLimitApp();
    const manifestBytes = LIMIT - 'search'.length;
    const response = await postRelease(
      [field('application', 'search'), file('manifests[dev]', 'x'.repeat(manifestBytes))],
      { app },
    );
    expect(response.statusCode).toBe(201);
    expect(blob('applications/search/releases/1/environments/dev/manifests.yaml').length).toBe(manifestBytes);
  });

  it('413 BODY_TOO_LARGE for a file over the limit, writing nothing', async () => {
    const { app } = await smallLimitApp();
    const before = tip();
    const response = await postRelease(
      [field('application', 'search'), file('manifests[dev]', 'x'.repeat(LIMIT + 1))],
      { app },
    );
    expectError(response, 413, 'BODY_TOO_LARGE');
    expect(tip()).toBe(before);
  });

  it('413 BODY_TOO_LARGE for files that are over the limit together', async () => {
    const { app } = await smallLimitApp();
    const before = tip();
    const response = await postRelease(
      [
        field('application', 'search'),
        file('manifests[dev]', 'x'.repeat(LIMIT / 2 + 10)),
        file('manifests[qa]', 'y'.repeat(LIMIT / 2 + 10)),
      ],
      { app },
    );
    expectError(response, 413, 'BODY_TOO_LARGE');
    expect(tip()).toBe(before);
  });

  it('413 BODY_TOO_LARGE for a string field over the limit (never a truncated manifest)', async () => {
    const { app } = await smallLimitApp();
    const before = tip();
    const response = await postRelease(
      [field('application', 'search'), field('manifests[dev]', 'x'.repeat(LIMIT + 100))],
      { app },
    );
    expectError(response, 413, 'BODY_TOO_LARGE');
    expect(tip()).toBe(before);
  });

  it('413 BODY_TOO_LARGE for string fields that are over the limit together', async () => {
    const { app } = await smallLimitApp();
    const before = tip();
    const response = await postRelease(
      [
        field('application', 'search'),
        field('manifests[dev]', 'x'.repeat(LIMIT - 100)),
        field('manifests[qa]', 'y'.repeat(LIMIT - 100)),
      ],
      { app },
    );
    expectError(response, 413, 'BODY_TOO_LARGE');
    expect(tip()).toBe(before);
  });

  it('413 BODY_TOO_LARGE for an upload over the default 10 MiB', async () => {
    harness = await start(layoutFiles({ environments: ENVIRONMENTS }));
    const before = tip();
    const response = await postRelease([
      field('application', 'search'),
      file('manifests[dev]', Buffer.alloc(10 * 1024 * 1024 + 1, 0x61)),
    ]);
    expectError(response, 413, 'BODY_TOO_LARGE');
    expect(tip()).toBe(before);
  });
});

describe('the multipart count limits: 413 naming the limit that was hit', () => {
  const tiny = (count: number, make: (index: number) => Part) =>
    Array.from({ length: count }, (_, i) => make(i));
  const cases: [string, Part[], RegExp][] = [
    // 10,000 tiny parts are a few hundred kilobytes: far below the byte limit.
    ['10,000 tiny fields', tiny(10_000, (i) => field(`manifests[e${i}]`, 'x')), /more than 1000 fields/],
    ['10,000 tiny files', tiny(10_000, (i) => file(`manifests[e${i}]`, 'x')), /more than 1000 files/],
    [
      '1,000 fields and 1,001 files',
      [...tiny(999, (i) => field(`f${i}`, 'x')), ...tiny(1001, (i) => file(`manifests[e${i}]`, 'x'))],
      /more than 2000 parts/,
    ],
  ];
  for (const [what, parts, limit] of cases) {
    it(`${what}: the message names the count and is not about bytes; nothing is written`, async () => {
      harness = await start(layoutFiles({ environments: ENVIRONMENTS }));
      const before = tip();
      const response = await postRelease([field('application', 'search'), ...parts]);
      const body = expectError(response, 413, 'BODY_TOO_LARGE');
      expect(body.message).toMatch(limit);
      expect(body.message).not.toMatch(/bytes/);
      expect(tip()).toBe(before);
    });
  }
});

describe('over a real socket', () => {
  it('takes a release as Kuberpult CI scripts send it (supertest .field/.attach)', async () => {
    harness = await start(WORLD);
    await h().app.listen({ port: 0, host: '127.0.0.1' });
    const before = tip();
    const response = await request(h().app.server)
      .post('/api/release')
      .set('author-name', base64('CI Bot'))
      .set('author-email', base64('ci@example.com'))
      .set('x-request-id', 'socket-1')
      .field('application', 'checkout')
      .field('version', '')
      .field('source_commit_id', 'cafebabe')
      .field('source_message', 'Ship it')
      .field('ci_link', 'https://ci.example.com/runs/9')
      .attach('manifests[dev]', Buffer.from(DEV_MANIFEST, 'utf8'), {
        filename: 'dev.yaml',
        contentType: 'application/yaml',
      })
      .attach('manifests[staging]', Buffer.from(STAGING_MANIFEST, 'utf8'), 'staging.yaml')
      .expect(201);
    expect(response.body).toEqual({ application: 'checkout', version: 3 });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(
      h()
        .fixture.git(['rev-list', '--count', `${before}..main`])
        .trim(),
    ).toBe('1');
    expect(blob('applications/checkout/releases/3/environments/dev/manifests.yaml')).toEqual(
      Buffer.from(DEV_MANIFEST, 'utf8'),
    );
    expect(blob('applications/checkout/releases/3/environments/staging/manifests.yaml')).toEqual(
      Buffer.from(STAGING_MANIFEST, 'utf8'),
    );
    expect(text('applications/checkout/releases/3/source_commit_id')).toBe('cafebabe');
    expect(text('applications/checkout/releases/3/source_message')).toBe('Ship it');
    expect(h().fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'CI Bot <ci@example.com>',
    );
    expect(trailer('Request-Id')).toBe('socket-1');
    expect(trailer('Ci-Link')).toBe('https://ci.example.com/runs/9');
    // dev takes the latest release; staging follows dev and is left alone.
    const dev = 'environments/dev/applications/checkout';
    expect(text(`${dev}/version`)).toBe('../../../../applications/checkout/releases/3');
    expect(blob(`${dev}/manifests/manifests.yaml`)).toEqual(Buffer.from(DEV_MANIFEST, 'utf8'));
    expect(text(`${dev}/deployed_by`)).toBe('CI Bot');
    expect(text('environments/staging/applications/checkout/version')).toBe(
      '../../../../applications/checkout/releases/1',
    );

    // The same upload again is a 200 and no commit.
    const after = tip();
    await request(h().app.server)
      .post('/release')
      .field('application', 'checkout')
      .field('version', '3')
      .attach('manifests[dev]', Buffer.from(DEV_MANIFEST, 'utf8'), 'dev.yaml')
      .attach('manifests[staging]', Buffer.from(STAGING_MANIFEST, 'utf8'), 'staging.yaml')
      .expect(200, { application: 'checkout', version: 3 });
    expect(tip()).toBe(after);
  });
});
