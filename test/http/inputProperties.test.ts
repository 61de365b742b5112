// Property tests over every name and body field of every route (security.md "Input",
// manifest-repo.md "Names", http-api.md "Errors"): whatever a client sends, the answer is a 2xx or
// a 4xx with the error body, a 4xx writes nothing, and a write never reaches a path outside the
// validated environment / application, never a path with '..', never a ref other than the branch
// and tags. One harness per property; after every run the branch and the tags are put back where
// they were, so that every run (and every shrink) starts from WORLD.

import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/appHarness.js';
import type { SavedRefs } from '../support/gitFixture.js';
import { type FormPart, multipartBody } from '../support/multipart.js';
import { WORLD } from './world.js';

// ---------------------------------------------------------------------------------------------
// WORLD's names.

const ENVS = ['dev', 'staging', 'prod-au', 'prod-br', 'prod-ca', 'prod-de', 'prod-jp', 'prod-us'];
const PROD = ENVS.filter((environment) => environment.startsWith('prod-'));
const GROUPS: Record<string, readonly string[]> = { prod: PROD };
const APPS = ['checkout', 'cart', 'search', 'billing', 'docs', 'legacy'];
const TEAMS = ['shop', 'discovery', 'payments'];
/** Lock ids that exist in WORLD (xmas: prod-de; frozen: staging/legacy; docs-freeze: prod-ca/docs; audit: prod-ca/payments). */
const LOCK_IDS = ['xmas', 'frozen', 'docs-freeze', 'audit', 'hotfix', 'v1.2', '_x', 'A.b-C_d'];
/** Tags made before the initial refs are taken: a source tag, and two that a new tag can clash with. */
const FIXTURE_TAGS = ['base', 'v1', 'w/x'];

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LOCK_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,98}$/;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMMITTER = 'Trainyard <trainyard@trainyard.invalid>';

const validName = (value: unknown, maxLength = 63): value is string =>
  typeof value === 'string' && value.length <= maxLength && NAME_PATTERN.test(value);
const validLockId = (value: unknown): value is string =>
  typeof value === 'string' && LOCK_ID_PATTERN.test(value);

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const NASTY = [
  '',
  ' ',
  '.',
  '..',
  '../../etc',
  '../../../../etc/passwd',
  'a/../b',
  'dev/../staging',
  '.git',
  '.git/config',
  'refs/heads/x',
  'refs/tags/x',
  '-n',
  '--upload-pack=x',
  '--output=/tmp/x',
  'HEAD',
  'HEAD~1',
  'main^',
  'a\nb',
  'a\r\nb',
  '\u0000',
  'a\u0000b',
  '%2e%2e',
  '%2F',
  '%00',
  'a/b',
  'a\\b',
  'A',
  'Dev',
  'dev ',
  ' dev',
  'dev\n',
  'dev-',
  '-dev',
  'a--b',
  '@',
  '@{1}',
  'x..y',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u00a0',
  '\ufeffdev',
  'ｄｅｖ',
  'dév',
  '𝕒',
  '😀',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(70),
  'a'.repeat(71),
  'a'.repeat(99),
  'a'.repeat(100),
  'x'.repeat(5000),
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  '$(id)',
  '`id`',
  ';id',
  '*',
  '?',
  '[',
  ':',
  'Request-Id: forged',
  '\nRequest-Id: forged',
  'prod\n\nSigned-off-by: evil',
  'null',
  'undefined',
  '0',
  '-1',
];

/** Any text: the nasty values, unicode and control characters, very long strings, and mixes. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 300 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('dev', 'prod', 'checkout', 'shop', 'xmas', ''),
        fc.constantFrom(...NASTY),
        fc.string({ unit: 'binary-ascii', maxLength: 3 }),
      )
      .map(([a, b, c]) => a + b + c),
  },
);

// Names are mostly valid, so that most runs pass validation and write: a request with several
// fields is refused at its first invalid one, and the write paths are where paths and trailers
// are made. Free text (which is mostly accepted) is any text.

/** A name field: mostly WORLD's names, sometimes a new valid name, else any text. */
const nameArb = (known: readonly string[]) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]{1,6}(-[a-z0-9]{1,4})?$/) },
    { weight: 2, arbitrary: anyText },
  );

const lockIdArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...LOCK_IDS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{1,12}$/) },
  { weight: 2, arbitrary: anyText },
);

/** Absent two times in three. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const urlArb = fc.oneof(
  { weight: 3, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('https://ci.example.com/run/1', 'http://ci/1', 'HTTPS://CI.EXAMPLE.COM/X'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'javascript:alert(1)',
      'ftp://ci.example.com/x',
      'file:///etc/passwd',
      '/relative/path',
      'ci.example.com/x',
      'https://x y',
      'https://',
      'http:/x',
      'https://ci.example.com/\nRequest-Id: forged',
      'https://ci.example.com/\r\nSigned-off-by: evil',
      'https://ci.example.com/%0ARequest-Id:%20forged',
      'https://ci.example.com/\u2028Request-Id: forged',
      'https://ci.example.com/\u2029x',
      `https://ci.example.com/${'a'.repeat(2100)}`,
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('https://ci.example.com/', 'http://ci/?q=', 'https://'), anyText)
      .map(([a, b]) => a + b),
  },
  { weight: 1, arbitrary: anyText },
);

/** Free text of a body: any text, or over the fields' limits. */
const textArb = fc.oneof(
  { weight: 8, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom('m'.repeat(64 * 1024), 'm'.repeat(64 * 1024 + 1)) },
);

type BodySpec = { readonly json: unknown } | { readonly raw: string } | { readonly none: true };

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
];
const contentTypeArb = fc.oneof(
  { weight: 15, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
);

/** A JSON body built from `shaped`, or any JSON value, or text that may not be JSON, or none. */
const bodyArb = (shaped: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 20, arbitrary: shaped.map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })) },
    { weight: 1, arbitrary: anyText.map((raw) => ({ raw })) },
    { weight: 1, arbitrary: fc.constant({ none: true as const }) },
  );

/** Printable request ids (valid or not); header values with line breaks are in trailerInjection. */
const requestIdArb = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/),
    fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    fc.constant('r'.repeat(129)),
  ),
  { nil: undefined },
);

const e = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Watching the fixture repo with plain git.

type Refs = ReadonlyMap<string, string>;

interface Allowed {
  /** Every changed path must start with one of these (only built from names that are valid). */
  readonly prefixes: readonly string[];
  /** The exact trailer lines of the commit, given the request id the response names. */
  readonly trailers: (requestId: string) => readonly string[];
  /** A tag the request may create (on a 2xx): refs/tags/<tag>. */
  readonly tag?: string;
}

class RepoWatch {
  readonly saved: SavedRefs;
  readonly initial: Refs;
  readonly initialTip: string;

  constructor(readonly h: Harness) {
    this.saved = h.fixture.saveRefs();
    this.initial = this.saved.refs;
    this.initialTip = this.initial.get('refs/heads/main') as string;
  }

  /** Sends the request, checks properties (a), (b) and (c), and puts the repo back. */
  async send(
    request: InjectOptions,
    allowed: (response: Answer) => Allowed,
    transport: Transport = (injected) => this.h.app.inject(injected),
  ): Promise<Answer> {
    const response = await transport(request);
    const now = this.h.fixture.refsSince(this.saved);
    try {
      const what = `${describeRequest(request)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
      for (const ref of now.keys()) {
        expect(ref === 'refs/heads/main' || ref.startsWith('refs/tags/'), `new ref ${ref}: ${what}`).toBe(
          true,
        );
      }
      // (c), and for a 5xx too: an error writes nothing.
      if (response.statusCode >= 400) {
        expect(Object.fromEntries(now), `a ${response.statusCode} wrote: ${what}`).toEqual(
          Object.fromEntries(this.initial),
        );
      }
      checkAnswer(request, response);
      if (response.statusCode >= 400) return response;
      const permitted = allowed(response);
      for (const [ref, oid] of now) {
        if (ref === 'refs/heads/main' || this.initial.get(ref) === oid) continue;
        expect(this.initial.has(ref), `a tag moved: ${ref}: ${what}`).toBe(false);
        expect(ref, `an unexpected tag: ${what}`).toBe(`refs/tags/${permitted.tag}`);
        expect(oid, `the tag is not on the new commit: ${what}`).toBe(now.get('refs/heads/main'));
      }
      const tip = now.get('refs/heads/main');
      if (tip !== this.initialTip) this.checkCommit(what, permitted, response);
      return response;
    } finally {
      // The branch back, new refs removed (a ref transaction: all or nothing).
      this.h.fixture.restoreRefs(this.saved, now);
    }
  }

  private checkCommit(what: string, permitted: Allowed, response: Answer): void {
    const git = (args: string[]) => this.h.fixture.git(args);
    // One author, one committer (the service), nothing else in the header; its one parent is the
    // initial tip: exactly one commit.
    const raw = git(['cat-file', 'commit', 'main']);
    const header = raw.slice(0, raw.indexOf('\n\n')).split('\n');
    expect(
      header.map((line) => line.split(' ')[0]),
      `commit header: ${what}`,
    ).toEqual(['tree', 'parent', 'author', 'committer']);
    expect(header[1], `one commit: ${what}`).toBe(`parent ${this.initialTip}`);
    expect(header[2]).toMatch(/^author [^<>\n]* <[^<>\n]*> \d+ \+0000$/);
    expect(header[3]).toMatch(new RegExp(`^committer ${COMMITTER} \\d+ \\+0000$`));
    // The trailers as git reads them and the paths the commit changes (against that parent), in
    // one process: `<trailers>\0`, then `\n` and each path followed by \0.
    const log = git([
      'log',
      '-1',
      '-z',
      '--no-renames',
      '--name-only',
      '--format=%(trailers:only,unfold)',
      'main',
    ]);
    const end = log.indexOf('\0');
    const trailerText = log.slice(0, end);
    const changed = log
      .slice(end + 1)
      .replace(/^\n/, '')
      .split('\0')
      .filter((path) => path !== '');
    expect(changed.length, `a commit that changes nothing: ${what}`).toBeGreaterThan(0);
    for (const path of changed) {
      const segments = path.split('/');
      expect(
        segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
        `path ${JSON.stringify(path)}: ${what}`,
      ).toBe(true);
      expect(
        permitted.prefixes.some((prefix) => path.startsWith(prefix)),
        `path ${JSON.stringify(path)} is outside ${JSON.stringify(permitted.prefixes)}: ${what}`,
      ).toBe(true);
    }
    // The trailers the request should have made, and no other.
    const requestId = String(response.headers['x-request-id']);
    const trailers = trailerText.split('\n').filter((line) => line !== '');
    expect(trailers, `trailers: ${what}`).toEqual(permitted.trailers(requestId));
  }
}

/** What a response looks like, from inject or from a real HTTP request. */
interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
  json(): unknown;
}

type Transport = (request: InjectOptions) => Promise<Answer>;

function describeRequest(request: InjectOptions): string {
  const payload = request.payload === undefined ? '' : String(request.payload);
  return JSON.stringify({
    method: request.method,
    url: String(request.url).slice(0, 300),
    headers: request.headers,
    payload: payload.length > 400 ? `${payload.slice(0, 400)}...(${payload.length})` : payload,
  });
}

/** (a): never a 5xx; an error is the JSON error body; the response names a sane request id. */
function checkAnswer(request: InjectOptions, response: Answer): void {
  const what = `${describeRequest(request)} -> ${response.statusCode} ${response.body.slice(0, 500)}`;
  expect(response.statusCode, what).toBeGreaterThanOrEqual(200);
  expect(response.statusCode, what).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const body = response.json() as Record<string, unknown>;
    expect(body, what).toMatchObject({
      statusCode: response.statusCode,
      error: expect.any(String),
      message: expect.any(String),
      code: expect.any(String),
    });
  } else if (response.statusCode !== 204) {
    expect(() => response.json(), what).not.toThrow();
  }
  // A request the router refuses before any hook runs (FST_ERR_MAX_PARAM_LENGTH, FST_ERR_BAD_URL)
  // has no request id; any other answer names the id given, when it is a sane one, or a new one.
  const answered = response.headers['x-request-id'];
  if (answered === undefined && String(body(response).code).startsWith('FST_ERR_')) return;
  const given = request.headers?.['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID_PATTERN.test(given)) expect(answered, what).toBe(given);
  else expect(answered, what).toMatch(UUID_PATTERN);
}

function body(response: Answer): Record<string, unknown> {
  try {
    const parsed = response.json();
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function jsonRequest(
  method: 'PUT' | 'POST' | 'DELETE',
  url: string,
  body: BodySpec,
  contentType: string,
  requestId: string | undefined,
): InjectOptions {
  const headers: Record<string, string> = {};
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  if ('none' in body) return { method, url, headers };
  headers['content-type'] = contentType;
  const payload = 'raw' in body ? body.raw : JSON.stringify(body.json);
  return { method, url, headers, payload: payload ?? '' };
}

/** A string field of a JSON body, where the body is an object that has one. */
function stringField(body: BodySpec, key: string): string | undefined {
  if (!('json' in body) || typeof body.json !== 'object' || body.json === null) return undefined;
  const value = (body.json as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

const plainTrailers =
  (ciLink?: string) =>
  (requestId: string): string[] => [
    ...(ciLink !== undefined ? [`Ci-Link: ${ciLink}`] : []),
    `Request-Id: ${requestId}`,
  ];

/** Requests over HTTP to a listening app, the path sent as it is. */
function overHttp(port: number): Transport {
  return (request) =>
    new Promise((resolve, reject) => {
      const payload =
        request.payload === undefined ? undefined : Buffer.from(String(request.payload), 'utf8');
      const headers: Record<string, string> = { ...(request.headers as Record<string, string> | undefined) };
      if (payload !== undefined) headers['content-length'] = String(payload.length);
      const sent = httpRequest(
        { host: '127.0.0.1', port, method: request.method, path: String(request.url), headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({
              statusCode: response.statusCode ?? 0,
              headers: response.headers,
              body,
              json: () => JSON.parse(body),
            });
          });
          response.on('error', reject);
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });
}

async function withWorld(run: (watch: RepoWatch) => Promise<void>): Promise<void> {
  const h = await startHarness(WORLD);
  try {
    for (const tag of FIXTURE_TAGS) h.fixture.git(['tag', tag]);
    await run(new RepoWatch(h));
  } finally {
    await h.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Multipart bodies by hand (as in releases.test.ts).

type Part = Pick<FormPart, 'name' | 'filename'> & { readonly value: string };

/** File parts go as application/octet-stream, as curl sends them. */
function multipart(parts: readonly Part[]): { payload: Buffer; contentType: string } {
  return multipartBody(
    parts.map((part) =>
      part.filename === undefined ? part : { ...part, contentType: 'application/octet-stream' },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The properties.

// About 2 s a property on a free machine; the whole file stays well under the brief's 40 s on a
// slow shared one. Every run is one request (plus a few git commands to check and reset).
const RUNS = {
  locks: 50,
  trains: 50,
  gitTags: 30,
  environments: 40,
  deployments: 40,
  releases: 50,
  reads: 40,
};
/** The same runs every time: a failure here is the code's, never the draw's (fast-check prints the seed and path of one). */
const SEED = 20261204;
/** Room for shrinking a counterexample on a slow machine. */
const PROPERTY_TIMEOUT = 90_000;

describe('every name and body field, arbitrary text', () => {
  it('locks: PUT and DELETE on all eight lock paths', { timeout: PROPERTY_TIMEOUT }, async () => {
    const lockBody = fc.record(
      {
        message: fc.oneof(
          { weight: 10, arbitrary: textArb },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
        ),
        ciLink: urlArb,
        suggestedLifetime: fc.oneof(fc.constantFrom('2h', '7d'), anyText),
      },
      { requiredKeys: ['message'] },
    );
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            kind: fc.constantFrom('environment', 'application', 'team', 'group'),
            older: fc.boolean(),
            method: fc.constantFrom('PUT', 'PUT', 'DELETE'),
            env: nameArb(ENVS),
            app: nameArb(APPS),
            team: nameArb(TEAMS),
            group: nameArb(['prod', 'prod-ca', 'dev']),
            lockId: lockIdArb,
            body: bodyArb(lockBody),
            contentType: contentTypeArb,
            requestId: requestIdArb,
          }),
          async ({ kind, older, method, env, app, team, group, lockId, body, contentType, requestId }) => {
            const api = older ? '' : '/api';
            const url = {
              environment: `${api}/environments/${e(env)}/locks/${e(lockId)}`,
              application: `${api}/environments/${e(env)}/applications/${e(app)}/locks/${e(lockId)}`,
              team: older
                ? `/api/environments/${e(env)}/lock/team/${e(team)}/${e(lockId)}`
                : `/api/environments/${e(env)}/teams/${e(team)}/locks/${e(lockId)}`,
              group: `${api}/environment-groups/${e(group)}/locks/${e(lockId)}`,
            }[kind];
            await watch.send(jsonRequest(method, url, body, contentType, requestId), () => {
              const prefixes: string[] = [];
              const envs = kind === 'group' ? (validName(group) ? (GROUPS[group] ?? []) : []) : [env];
              for (const environment of envs.filter((name) => validName(name))) {
                if (!validLockId(lockId)) continue;
                if (method === 'DELETE') {
                  // Removing a lock may remove queued versions in its environment.
                  if (kind !== 'application') prefixes.push(`environments/${environment}/`);
                  else if (validName(app, 70))
                    prefixes.push(`environments/${environment}/applications/${app}/`);
                  continue;
                }
                if (kind === 'environment' || kind === 'group')
                  prefixes.push(`environments/${environment}/locks/${lockId}/`);
                if (kind === 'application' && validName(app, 70))
                  prefixes.push(`environments/${environment}/applications/${app}/locks/${lockId}/`);
                if (kind === 'team' && validName(team))
                  prefixes.push(`environments/${environment}/teams/${team}/locks/${lockId}/`);
              }
              return {
                prefixes,
                trailers: plainTrailers(method === 'PUT' ? stringField(body, 'ciLink') : undefined),
              };
            });
          },
        ),
        { numRuns: RUNS.locks, seed: SEED },
      );
    });
  });

  it('release trains and prognoses: target, team, gitTag, sourceGitTag and the body', {
    timeout: PROPERTY_TIMEOUT,
  }, async () => {
    const tagArb = (valid: readonly string[]) =>
      sometimes(
        fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: anyText }),
      );
    const trainBody = fc.record({ ciLink: urlArb }, { requiredKeys: [] });
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            route: fc.constantFrom('env', 'group', 'older', 'prognosis', 'groupPrognosis'),
            target: nameArb(['prod', 'prod-ca', 'staging', 'dev', 'prod-de']),
            team: sometimes(nameArb(TEAMS)),
            gitTag: tagArb(['train-1', 'refs/tags/train-2', 'a.b_c-d/e']),
            sourceGitTag: tagArb(['base', 'refs/tags/base', 'missing']),
            body: bodyArb(trainBody),
            contentType: contentTypeArb,
            requestId: requestIdArb,
          }),
          async ({ route, target, team, gitTag, sourceGitTag, body, contentType, requestId }) => {
            const path = {
              env: `/api/environments/${e(target)}/releasetrain`,
              group: `/api/environment-groups/${e(target)}/releasetrain`,
              older: `/environments/${e(target)}/releasetrain`,
              prognosis: `/api/environments/${e(target)}/releasetrain/prognosis`,
              groupPrognosis: `/api/environment-groups/${e(target)}/releasetrain/prognosis`,
            }[route];
            const query = Object.entries({ team, gitTag, sourceGitTag })
              .filter((entry): entry is [string, string] => entry[1] !== undefined)
              .map(([key, value]) => `${key}=${e(value)}`)
              .join('&');
            const url = query === '' ? path : `${path}?${query}`;
            const request: InjectOptions = route.endsWith('rognosis')
              ? { method: 'GET', url, headers: requestId === undefined ? {} : { 'x-request-id': requestId } }
              : jsonRequest('PUT', url, body, contentType, requestId);
            await watch.send(request, (response) => {
              if (request.method === 'GET' || !validName(target)) return { prefixes: [], trailers: () => [] };
              const envs = [target, ...(route !== 'env' ? (GROUPS[target] ?? []) : [])];
              const ciLink = stringField(body, 'ciLink');
              const tag = gitTag?.replace(/^refs\/tags\//, '');
              const answer = response.json() as { gitTag?: string; commitId: string | null };
              expect(answer.gitTag).toBe(answer.commitId === null ? undefined : tag);
              return {
                prefixes: envs.map((environment) => `environments/${environment}/applications/`),
                trailers: (id) => [
                  `Release-Train-Target: ${target}`,
                  ...(team !== undefined ? [`Release-Train-Team: ${team}`] : []),
                  ...(ciLink !== undefined ? [`Ci-Link: ${ciLink}`] : []),
                  `Request-Id: ${id}`,
                ],
                ...(tag !== undefined ? { tag } : {}),
              };
            });
          },
        ),
        { numRuns: RUNS.trains, seed: SEED },
      );
    });
  });

  it('gitTag: ref-shaped names on a train that commits', { timeout: PROPERTY_TIMEOUT }, async () => {
    // Segments git treats specially, joined by '/': components ending in .lock, starting with a
    // dot, names that clash with the fixture's tags v1 and w/x (a file where a directory goes).
    const segment = fc.constantFrom(
      'a',
      'v1',
      'w',
      'x',
      'x.lock',
      '.b',
      'c.',
      '@',
      'HEAD',
      '-n',
      'a..b',
      'é',
      '',
    );
    const refShaped = fc
      .tuple(
        fc.constantFrom('', 'refs/tags/', 'refs/heads/'),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
      )
      .map(([prefix, segments]) => prefix + segments.join('/'));
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 4, arbitrary: refShaped }, { weight: 1, arbitrary: anyText }),
          async (gitTag) => {
            const url = `/api/environment-groups/prod/releasetrain?gitTag=${e(gitTag)}`;
            await watch.send({ method: 'PUT', url }, (response) => {
              const tag = gitTag.replace(/^refs\/tags\//, '');
              const answer = response.json() as { gitTag?: string; commitId: string | null };
              expect(answer.commitId).toEqual(expect.any(String));
              expect(answer.gitTag).toBe(tag);
              return {
                prefixes: PROD.map((environment) => `environments/${environment}/applications/`),
                trailers: (id) => ['Release-Train-Target: prod', `Request-Id: ${id}`],
                tag,
              };
            });
          },
        ),
        { numRuns: RUNS.gitTags, seed: SEED },
      );
    });
  });

  it('environments: POST a config as JSON or as the multipart field `config`', {
    timeout: PROPERTY_TIMEOUT,
  }, async () => {
    const upstream = fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      {
        weight: 2,
        arbitrary: fc.record(
          {
            latest: fc.oneof(
              { weight: 4, arbitrary: fc.boolean() },
              { weight: 1, arbitrary: fc.jsonValue() },
            ),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 2, arbitrary: fc.record({ environment: nameArb(ENVS) }, { requiredKeys: [] }) },
      {
        weight: 1,
        arbitrary: fc.record({ latest: fc.boolean(), environment: fc.oneof(fc.constant(''), nameArb(ENVS)) }),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    );
    const config = fc
      .tuple(
        fc.record(
          {
            upstream,
            environmentGroup: nameArb(['prod', 'eu']),
            argocd: fc.oneof(
              { weight: 4, arbitrary: fc.dictionary(anyText, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
              { weight: 1, arbitrary: anyText },
            ),
            argoConfigs: fc.jsonValue({ maxDepth: 2 }),
            isActiveActive: fc.oneof(
              { weight: 4, arbitrary: fc.boolean() },
              { weight: 1, arbitrary: anyText },
            ),
          },
          { requiredKeys: [] },
        ),
        fc.dictionary(anyText, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      )
      .map(([known, extra]) => ({ ...extra, ...known }));
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            env: nameArb([...ENVS, 'qa']),
            older: fc.boolean(),
            form: fc.oneof(
              { weight: 3, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: fc.option(anyText, { nil: undefined }) },
            ),
            asMultipart: fc.boolean(),
            body: bodyArb(config),
            contentType: contentTypeArb,
            requestId: requestIdArb,
          }),
          async ({ env, older, form, asMultipart, body, contentType, requestId }) => {
            const url = `${older ? '' : '/api'}/environments/${e(env)}`;
            let request: InjectOptions;
            if (asMultipart) {
              const text = 'json' in body ? JSON.stringify(body.json) : 'raw' in body ? body.raw : undefined;
              const parts: Part[] = text === undefined ? [] : [{ name: 'config', value: text }];
              // Sometimes another field: its name is any text.
              if (form !== undefined) parts.push({ name: form, value: '{}' });
              const { payload, contentType: type } = multipart(parts);
              request = {
                method: 'POST',
                url,
                headers: {
                  'content-type': type,
                  ...(requestId !== undefined ? { 'x-request-id': requestId } : {}),
                },
                payload,
              };
            } else {
              request = jsonRequest('POST', url, body, contentType, requestId);
            }
            await watch.send(request, () => ({
              prefixes: validName(env) ? [`environments/${env}/config.json`] : [],
              trailers: plainTrailers(),
            }));
          },
        ),
        { numRuns: RUNS.environments, seed: SEED },
      );
    });
  });

  it('deployments: PUT a version of an app to an environment', { timeout: PROPERTY_TIMEOUT }, async () => {
    // WORLD's releases: 1 to 3 mostly (search has 4, legacy only 1).
    const version = fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53 - 1, 2 ** 53, 1e308, '1', '2', '', null, true, [1], {
          v: 1,
        }),
      },
      { weight: 1, arbitrary: anyText },
    );
    const lockBehavior = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('record', 'fail', 'ignore') },
      { weight: 1, arbitrary: anyText },
    );
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            env: nameArb(ENVS),
            app: nameArb(APPS),
            body: bodyArb(
              fc.oneof(
                { weight: 8, arbitrary: fc.record({ version, lockBehavior }) },
                { weight: 1, arbitrary: fc.record({ version, lockBehavior }, { requiredKeys: [] }) },
              ),
            ),
            contentType: contentTypeArb,
            requestId: requestIdArb,
          }),
          async ({ env, app, body, contentType, requestId }) => {
            const url = `/api/environments/${e(env)}/applications/${e(app)}/deployment`;
            await watch.send(jsonRequest('PUT', url, body, contentType, requestId), () => ({
              prefixes:
                validName(env) && validName(app, 70) ? [`environments/${env}/applications/${app}/`] : [],
              trailers: plainTrailers(),
            }));
          },
        ),
        { numRuns: RUNS.deployments, seed: SEED },
      );
    });
  });

  it('releases: every multipart field, and the manifests[<env>] keys', {
    timeout: PROPERTY_TIMEOUT,
  }, async () => {
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            older: fc.boolean(),
            application: fc.oneof(
              { weight: 15, arbitrary: nameArb([...APPS, 'fresh']) },
              { weight: 1, arbitrary: fc.constant(undefined) },
            ),
            version: sometimes(
              fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom('', '1', '5', '9007199254740991') },
                {
                  weight: 1,
                  arbitrary: fc.constantFrom('0', '-1', '01', '1.5', ' 1', '1e3', '9007199254740992', '0x10'),
                },
                { weight: 1, arbitrary: anyText },
              ),
            ),
            team: sometimes(nameArb(TEAMS)),
            sourceCommitId: sometimes(textArb),
            sourceAuthor: sometimes(textArb),
            sourceMessage: sometimes(textArb),
            displayVersion: sometimes(textArb),
            ciLink: sometimes(urlArb),
            manifests: fc.oneof(
              {
                weight: 10,
                arbitrary: fc.array(
                  fc.record({ env: nameArb(ENVS), content: anyText, asFile: fc.boolean() }),
                  {
                    minLength: 1,
                    maxLength: 3,
                  },
                ),
              },
              { weight: 1, arbitrary: fc.constant<{ env: string; content: string; asFile: boolean }[]>([]) },
            ),
            extra: fc.oneof(
              { weight: 8, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: fc.constantFrom('previous_commit_id', 'signatures[x]', 'revision') },
              { weight: 1, arbitrary: anyText },
            ),
            requestId: requestIdArb,
          }),
          async (release) => {
            const parts: Part[] = [];
            const add = (name: string, value: string | undefined) => {
              if (value !== undefined) parts.push({ name, value });
            };
            add('application', release.application);
            add('version', release.version);
            add('team', release.team);
            add('source_commit_id', release.sourceCommitId);
            add('source_author', release.sourceAuthor);
            add('source_message', release.sourceMessage);
            add('display_version', release.displayVersion);
            add('ci_link', release.ciLink);
            for (const { env, content, asFile } of release.manifests) {
              parts.push({
                name: `manifests[${env}]`,
                value: content,
                ...(asFile ? { filename: 'm.yaml' } : {}),
              });
            }
            if (release.extra !== undefined) parts.push({ name: release.extra, value: 'x' });
            const { payload, contentType } = multipart(parts);
            const headers: Record<string, string> = { 'content-type': contentType };
            if (release.requestId !== undefined) headers['x-request-id'] = release.requestId;
            const url = release.older ? '/release' : '/api/release';
            await watch.send({ method: 'POST', url, headers, payload }, () => {
              const app = release.application;
              if (!validName(app, 70)) return { prefixes: [], trailers: () => [] };
              const envs = release.manifests.map(({ env }) => env).filter((env) => validName(env));
              return {
                prefixes: [
                  `applications/${app}/`,
                  ...envs.map((environment) => `environments/${environment}/applications/${app}/`),
                ],
                trailers: plainTrailers(release.ciLink),
              };
            });
          },
        ),
        { numRuns: RUNS.releases, seed: SEED },
      );
    });
  });

  it('reads: history, prognoses and the overview write nothing and answer 2xx or 4xx', {
    timeout: PROPERTY_TIMEOUT,
  }, async () => {
    await withWorld(async (watch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            route: fc.constantFrom('history', 'prognosis', 'groupPrognosis', 'overview'),
            environment: fc.option(nameArb(ENVS), { nil: undefined }),
            application: fc.option(nameArb(APPS), { nil: undefined }),
            limit: fc.option(
              fc.oneof(
                fc.constantFrom('1', '0', '-1', '1000', '1001', '1.5', '1e2', ' 2', 'NaN', ''),
                anyText,
              ),
              { nil: undefined },
            ),
            unknown: fc.option(fc.tuple(anyText, anyText), { nil: undefined }),
          }),
          async ({ route, environment, application, limit, unknown }) => {
            const query: [string, string][] = [];
            let path: string;
            if (route === 'history') {
              path = '/api/history';
              if (environment !== undefined) query.push(['environment', environment]);
              if (application !== undefined) query.push(['application', application]);
              if (limit !== undefined) query.push(['limit', limit]);
            } else if (route === 'overview') {
              path = '/api/overview';
            } else {
              path =
                route === 'prognosis'
                  ? `/api/environments/${e(environment ?? 'prod')}/releasetrain/prognosis`
                  : `/api/environment-groups/${e(environment ?? 'prod')}/releasetrain/prognosis`;
              if (application !== undefined) query.push(['team', application]);
            }
            if (
              unknown !== undefined &&
              !['environment', 'application', 'limit', 'team'].includes(unknown[0])
            )
              query.push(unknown);
            const search = query.map(([key, value]) => `${e(key)}=${e(value)}`).join('&');
            await watch.send({ method: 'GET', url: search === '' ? path : `${path}?${search}` }, () => ({
              prefixes: [],
              trailers: () => [],
            }));
          },
        ),
        { numRuns: RUNS.reads, seed: SEED },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Query keys, and path segments that are not encoded by the client.

const NOTHING: Allowed = { prefixes: [], trailers: () => [] };

describe('query keys', () => {
  it('a repeated known key is a 400 and writes nothing', async () => {
    await withWorld(async (watch) => {
      for (const [method, url] of [
        ['PUT', '/api/environment-groups/prod/releasetrain?team=shop&team=discovery'],
        ['PUT', '/api/environment-groups/prod/releasetrain?team=shop&team=shop'],
        ['PUT', '/api/environment-groups/prod/releasetrain?gitTag=x&gitTag=y'],
        ['PUT', '/api/environment-groups/prod/releasetrain?gitTag=x&gitTag=x'],
        ['PUT', '/api/environment-groups/prod/releasetrain?sourceGitTag=base&sourceGitTag=base'],
        ['PUT', '/api/environments/prod-ca/releasetrain?team=shop&team=discovery'],
        ['PUT', '/environments/prod/releasetrain?gitTag=x&gitTag=y'],
        ['GET', '/api/environments/prod/releasetrain/prognosis?team=shop&team=discovery'],
        ['GET', '/api/environment-groups/prod/releasetrain/prognosis?team=shop&team=shop'],
        ['GET', '/api/history?environment=dev&environment=staging'],
        ['GET', '/api/history?application=checkout&application=checkout'],
        ['GET', '/api/history?limit=1&limit=2'],
      ] as const) {
        const response = await watch.send({ method, url }, () => NOTHING);
        expect(response.statusCode, `${method} ${url}`).toBe(400);
        expect(response.json()).toMatchObject({ statusCode: 400, code: 'INVALID_INPUT' });
      }
    });
  });

  it('an unknown query key (a near miss of a known one, too) is a 400 naming it and writes nothing', async () => {
    await withWorld(async (watch) => {
      for (const [method, url, unknown] of [
        ['GET', '/api/environments/prod/releasetrain/prognosis?foo=bar&foo=baz', 'foo'],
        ['GET', '/api/environments/prod/releasetrain/prognosis?TEAM=x', 'TEAM'],
        ['GET', '/api/environments/prod/releasetrain/prognosis?team%00=y', 'team\u0000'],
        ['GET', '/api/history?nope=1&nope=2', 'nope'],
        ['GET', '/api/history?Limit=abc', 'Limit'],
        ['PUT', '/api/environment-groups/prod/releasetrain?foo=1&foo=2', 'foo'],
        ['PUT', '/api/environment-groups/prod/releasetrain?gittag=x', 'gittag'],
        ['PUT', '/api/environment-groups/prod/releasetrain?team[]=shop', 'team[]'],
        ['PUT', '/api/environments/dev/locks/abc?ciLink=https%3A%2F%2Fci.example.com%2F1', 'ciLink'],
      ] as const) {
        const response = await watch.send({ method, url }, () => NOTHING);
        expect(response.statusCode, `${method} ${url}`).toBe(400);
        expect(response.json()).toMatchObject({ statusCode: 400, code: 'INVALID_INPUT' });
        expect((response.json() as { message: string }).message, url).toContain(`'${unknown}'`);
      }
    });
  });
});

describe('path segments sent without encoding', () => {
  const SEGMENTS = [
    '..',
    '%2e%2e',
    '%2E%2E',
    '..%2f..',
    '%2e',
    '%2F',
    'dev%2F..%2Fstaging',
    '%00',
    '%0A',
    '%0d%0a',
    '%E0%A4%A',
    '%',
    '%zz',
    '.git',
    'dev%20',
    '%C0%AE%C0%AE',
  ];

  // Sent over a real socket: inject (light-my-request) would resolve dot segments as a browser does.
  it('as env, app, team, group and lock id: a 4xx that writes nothing', async () => {
    await withWorld(async (watch) => {
      await watch.h.app.listen({ port: 0, host: '127.0.0.1' });
      const transport = overHttp((watch.h.app.server.address() as AddressInfo).port);
      const json = { 'content-type': 'application/json' };
      for (const segment of SEGMENTS) {
        const requests: InjectOptions[] = [];
        for (const url of [
          `/api/environments/${segment}/locks/abc`,
          `/api/environments/dev/locks/${segment}`,
          `/api/environments/dev/applications/${segment}/locks/abc`,
          `/api/environments/prod-ca/teams/${segment}/locks/abc`,
          `/api/environments/prod-ca/lock/team/${segment}/abc`,
          `/api/environment-groups/${segment}/locks/abc`,
        ]) {
          requests.push({ method: 'PUT', url, headers: json, payload: JSON.stringify({ message: 'm' }) });
          requests.push({ method: 'DELETE', url });
        }
        for (const url of [
          `/api/environments/${segment}/releasetrain`,
          `/api/environment-groups/${segment}/releasetrain`,
          `/environments/${segment}/releasetrain`,
        ]) {
          requests.push({ method: 'PUT', url });
        }
        requests.push({
          method: 'PUT',
          url: `/api/environments/dev/applications/${segment}/deployment`,
          headers: json,
          payload: JSON.stringify({ version: 1, lockBehavior: 'ignore' }),
        });
        requests.push({ method: 'POST', url: `/api/environments/${segment}`, headers: json, payload: '{}' });
        for (const request of requests) {
          const response = await watch.send(request, () => NOTHING, transport);
          expect(response.statusCode, `${request.method} ${request.url}`).toBeGreaterThanOrEqual(400);
        }
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The counterexamples the gitTag property shrinks to, one by one (WORLD, tags v1 and w/x made
// before the train; the train over prod commits). Each is a 503 REPO_BUSY ("the branch moved")
// today: the tag passes GIT_REF_NAME_PATTERN, the ref transaction that moves the branch and makes
// the tag fails, and moveRefs reports every failure that is not an existing tag of the same name
// as a RefConflictError. Expected: a 4xx that writes nothing (409 TAG_EXISTS for a clash, 400
// for a name git refuses).

describe('gitTag that git refuses although the pattern takes it', () => {
  const CASES = [
    ['w', 'a tag w/x exists: refs/tags/w would have to be a file and a directory'],
    ['v1/x', 'a tag v1 exists: refs/tags/v1 would have to be a directory'],
    ['refs/tags/v1/x', 'the same, with the refs/tags/ prefix'],
    ['x.lock/a', 'git refuses a path component ending in .lock (check-ref-format)'],
    ['a/b.lock/c', 'the same, deeper'],
  ] as const;

  // One harness for all of them; the failures are listed together.
  it(`${CASES.map(([tag]) => tag).join(', ')}: each a 4xx that writes nothing`, async () => {
    const failures: string[] = [];
    await withWorld(async (watch) => {
      for (const [gitTag, why] of CASES) {
        const url = `/api/environment-groups/prod/releasetrain?gitTag=${e(gitTag)}`;
        try {
          await watch.send({ method: 'PUT', url }, () => NOTHING);
        } catch (error) {
          failures.push(`gitTag=${gitTag} (${why}): ${(error as Error).message.split('\n')[0]}`);
        }
      }
    });
    expect(failures).toEqual([]);
  });
});
