// Authentication (security.md "Who is calling"): AUTH_MODE token, oidc and token,oidc over real
// HTTP (inject), a real tokens file that changes under the running app, a real OIDC issuer
// (discovery + JWKS on 127.0.0.1) and the service as a real process for the start-up checks.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { type OidcOptions, OidcVerifier } from '../../src/auth/oidc.js';
import { TokenStore } from '../../src/auth/tokens.js';
import { base64, type Harness, harnessPerTest, startHarness } from '../support/appHarness.js';
import {
  AUTHOR,
  AUTHOR_HEADERS,
  COMMITTER,
  expectError,
  expectOneCommit,
} from '../support/httpExpectations.js';
import { layoutFiles } from '../support/layout.js';
import { killAllServices, startService } from '../support/serviceProcess.js';
import { PROD_PROGNOSIS, WORLD } from './world.js';

const start = harnessPerTest();

const dirs: string[] = [];
afterEach(async () => {
  await killAllServices();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `removeAfterEach`: false for a directory a whole describe block shares (it removes it). */
async function tempDir(removeAfterEach = true): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-auth-'));
  if (removeAfterEach) dirs.push(dir);
  return dir;
}

/** Small, so that a harness per test is quick; WORLD where a prognosis is compared. */
const SMALL = layoutFiles({
  apps: {
    checkout: {
      team: 'shop',
      releases: { 1: ['dev', 'staging', 'prod-de'], 2: ['dev', 'staging', 'prod-de'] },
    },
  },
  environments: {
    dev: { config: { upstream: { latest: true } }, deployed: { checkout: 2 } },
    staging: { config: { upstream: { environment: 'dev' } }, deployed: { checkout: 1 } },
    'prod-de': {
      config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' },
      deployed: { checkout: 1 },
    },
  },
});

const PROGNOSIS_URL = '/api/environment-groups/prod/releasetrain/prognosis';
const lockUrl = (lockId: string) => `/api/environments/staging/locks/${lockId}`;
const lockPath = (lockId: string) => `environments/staging/locks/${lockId}/message`;

/** PUT an environment lock (a write) with these headers. */
function putLock(h: Harness, lockId: string, headers: Record<string, string | string[]>) {
  return h.app.inject({
    method: 'PUT',
    url: lockUrl(lockId),
    headers,
    payload: { message: `lock ${lockId}` },
  });
}

function bearer(value: string): Record<string, string> {
  return { authorization: `Bearer ${value}` };
}

/** 401 UNAUTHENTICATED with the Bearer challenge of the realm; `error` is the challenge's error. */
function expectUnauthenticated(
  response: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
  error?: string,
): void {
  expectError(response, 401, 'UNAUTHENTICATED');
  expect(response.headers['www-authenticate']).toBe(
    error === undefined ? 'Bearer realm="trainyard"' : `Bearer realm="trainyard", error="${error}"`,
  );
}

/** The write was refused: the branch did not move and no lock was written. */
function expectNothingWritten(h: Harness, before: string, lockId: string): void {
  expect(h.fixture.tip()).toBe(before);
  expect(h.fixture.modeOf(lockPath(lockId))).toBeUndefined();
}

/** The lock is written with one commit whose author is `identity` (not what author-* claims). */
function expectWrittenBy(
  h: Harness,
  response: { statusCode: number; body: string; json(): unknown },
  before: string,
  requestId: string,
  identity: { name: string; email: string },
): void {
  expect(response.statusCode, response.body).toBe(200);
  const author = { name: identity.name, email: identity.email };
  expect(response.json()).toMatchObject({ createdBy: author });
  expectOneCommit(h, before, requestId, author);
  expect(h.fixture.git(['log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main']).trim()).toBe(
    `${identity.name} <${identity.email}>|${COMMITTER}`,
  );
  expect(h.fixture.show(`environments/staging/locks/${requestId}/created_by_email`)).toBe(identity.email);
}

/**
 * PUTs lock `lockId` (also the request id) with the bearer token and author-* headers claiming
 * someone else, and expects it written by `identity`.
 */
async function expectBearerWrites(
  h: Harness,
  token: string,
  lockId: string,
  identity: { name: string; email: string },
): Promise<void> {
  const before = h.fixture.tip();
  const response = await putLock(h, lockId, { ...bearer(token), ...AUTHOR_HEADERS, 'x-request-id': lockId });
  expectWrittenBy(h, response, before, lockId, identity);
}

// ---------------------------------------------------------------------------------------------
// Tokens file

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface TokenHolder {
  readonly name: string;
  readonly email: string;
  readonly token: string;
  readonly groups?: readonly string[];
}

const CI: TokenHolder = {
  name: 'CI Pipeline',
  email: 'ci@example.com',
  token: 'ty_ci_Q3vX9kLm2PzR7tYw4NbJ8sHd5Gf',
  groups: ['ci'],
};
const DEPLOYER: TokenHolder = {
  name: 'Deploy Bot',
  email: 'deploy-bot@example.com',
  token: 'ty_dp_Hh7Kq2Lw9Xz4Cv6Bn1Mm3Pp8Rr0T',
};
const NEWCOMER: TokenHolder = {
  name: 'Release Robot',
  email: 'release-robot@example.com',
  token: 'ty_rr_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9J',
};

function tokensYaml(holders: readonly TokenHolder[]): string {
  return holders
    .map(
      (holder) =>
        `# ${holder.name}\n- name: ${holder.name}\n  email: ${holder.email}\n  sha256: ${sha256(holder.token)}\n` +
        `  groups: [${(holder.groups ?? []).join(', ')}]\n`,
    )
    .join('');
}

interface TokensFile {
  readonly dir: string;
  readonly path: string;
  write(holders: readonly TokenHolder[]): Promise<void>;
  writeText(text: string): Promise<void>;
}

async function tokensFile(holders: readonly TokenHolder[], removeAfterEach = true): Promise<TokensFile> {
  const dir = await tempDir(removeAfterEach);
  const path = join(dir, 'tokens.yaml');
  const file: TokensFile = {
    dir,
    path,
    // In place, as an editor or `cat > file` does (same inode).
    write: (next) => writeFile(path, tokensYaml(next)),
    writeText: (text) => writeFile(path, text),
  };
  await file.write(holders);
  return file;
}

async function tokenAuthenticator(file: TokensFile): Promise<Authenticator> {
  const store = new TokenStore(file.path);
  await store.load();
  return new Authenticator(store);
}

describe('AUTH_MODE=token', () => {
  it('a valid token writes: 200, one commit authored by the token entry (the author-* headers are ignored), committed by the service', async () => {
    const file = await tokensFile([CI, DEPLOYER]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    const before = h.fixture.tip();

    const response = await putLock(h, 'req-ci-1', {
      ...bearer(CI.token),
      ...AUTHOR_HEADERS,
      'x-request-id': 'req-ci-1',
    });
    expectWrittenBy(h, response, before, 'req-ci-1', CI);
    expect(h.fixture.git(['log', '-1', '--format=%an %ae', 'main'])).not.toContain(AUTHOR.email);

    // The other entry is another identity.
    const second = h.fixture.tip();
    const other = await putLock(h, 'req-dp-1', { ...bearer(DEPLOYER.token), 'x-request-id': 'req-dp-1' });
    expectWrittenBy(h, other, second, 'req-dp-1', DEPLOYER);
  });

  it('author-* headers that are not even base64 do not matter with a verified identity', async () => {
    const file = await tokensFile([CI]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    const before = h.fixture.tip();
    const response = await putLock(h, 'req-junk', {
      ...bearer(CI.token),
      'author-name': '%%% not base64 %%%',
      'author-email': base64('Mallory <mallory@example.com>\nCommitter: x'),
      'x-request-id': 'req-junk',
    });
    expectWrittenBy(h, response, before, 'req-junk', CI);
  });

  it('a valid token reads: GET prognosis is 200 with the prognosis; the scheme name is case-insensitive', async () => {
    const file = await tokensFile([CI]);
    const h = await start(WORLD, { authenticator: await tokenAuthenticator(file) });
    const response = await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(CI.token) });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().envsPrognoses).toEqual(PROD_PROGNOSIS);

    const lower = await h.app.inject({
      url: PROGNOSIS_URL,
      headers: { authorization: `bearer ${CI.token}` },
    });
    expect(lower.statusCode, lower.body).toBe(200);
  });

  it('without Authorization: 401 UNAUTHENTICATED with WWW-Authenticate: Bearer realm="trainyard", for writes and reads, and nothing is written', async () => {
    const file = await tokensFile([CI]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    const before = h.fixture.tip();

    const write = await putLock(h, 'anonymous', { ...AUTHOR_HEADERS });
    expectUnauthenticated(write);
    expectNothingWritten(h, before, 'anonymous');

    expectUnauthenticated(await h.app.inject({ url: PROGNOSIS_URL }));
    expectUnauthenticated(await h.app.inject({ url: '/api/history' }));
    expectUnauthenticated(await h.app.inject({ url: '/metrics' }));
    const train = await h.app.inject({ method: 'PUT', url: '/api/environment-groups/prod/releasetrain' });
    expectUnauthenticated(train);
    expect(h.fixture.tip()).toBe(before);
  });

  describe('near misses of a valid token are refused and write nothing', () => {
    let h: Harness;
    let before: string;
    let file: TokensFile;
    beforeAll(async () => {
      file = await tokensFile([CI, DEPLOYER], false);
      h = await startHarness(SMALL, { authenticator: await tokenAuthenticator(file) });
      before = h.fixture.tip();
    });
    afterAll(async () => {
      await h.close();
      await rm(file.dir, { recursive: true, force: true });
    });
    afterEach(async () => {
      // Control: the token itself is still accepted by this app.
      const valid = await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(CI.token) });
      expect(valid.statusCode, valid.body).toBe(200);
    });

    const last = CI.token.at(-1)!;
    const invalidTokens: [string, string][] = [
      ['one character changed', `${CI.token.slice(0, -1)}${last === 'f' ? 'g' : 'f'}`],
      ['one character more', `${CI.token}x`],
      ['a prefix', CI.token.slice(0, -1)],
      ['a short prefix', CI.token.slice(0, 6)],
      ['in lower case', CI.token.toLowerCase()],
      ['in upper case', CI.token.toUpperCase()],
      ['its sha256 (what the file holds)', sha256(CI.token)],
      ['its sha256 in upper case', sha256(CI.token).toUpperCase()],
      ['two valid tokens glued together', `${CI.token}${DEPLOYER.token}`],
      ['the sha256 of the empty string', sha256('')],
    ];
    it.each(invalidTokens)('the token %s: 401 with error="invalid_token"', async (_label, value) => {
      const lockId = `miss-${randomBytes(4).toString('hex')}`;
      const write = await putLock(h, lockId, { ...bearer(value), ...AUTHOR_HEADERS });
      expectUnauthenticated(write, 'invalid_token');
      expectNothingWritten(h, before, lockId);
      expectUnauthenticated(
        await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(value) }),
        'invalid_token',
      );
    });

    const malformed: [string, string][] = [
      ['the Basic scheme with the token as password', `Basic ${base64(`ci:${CI.token}`)}`],
      ['the Basic scheme with the token', `Basic ${CI.token}`],
      ['the token without a scheme', CI.token],
      ['another scheme', `Token ${CI.token}`],
      ['"Bearer" without a value', 'Bearer'],
      ['"Bearer " with an empty value', 'Bearer '],
      ['"Bearer" with two values', `Bearer ${CI.token} ${CI.token}`],
      ['an empty header', ''],
    ];
    it.each(malformed)('%s: 401 with the Bearer challenge', async (_label, value) => {
      const lockId = `malformed-${randomBytes(4).toString('hex')}`;
      const write = await putLock(h, lockId, { authorization: value, ...AUTHOR_HEADERS });
      expectError(write, 401, 'UNAUTHENTICATED');
      // RFC 6750 3.1: a malformed request is invalid_request (an unsupported scheme may carry no code).
      expect(write.headers['www-authenticate']).toMatch(
        /^Bearer realm="trainyard"(, error="invalid_request")?$/,
      );
      expectNothingWritten(h, before, lockId);
    });

    it('two Authorization values (an invalid one and a valid one): 401, nothing written', async () => {
      const both = await putLock(h, 'two-headers', {
        authorization: [`Bearer ${sha256(CI.token)}`, `Bearer ${CI.token}`],
      });
      expectError(both, 401, 'UNAUTHENTICATED');
      expect(both.headers['www-authenticate']).toMatch(/^Bearer realm="trainyard"/);
      expectNothingWritten(h, before, 'two-headers');
    });
  });

  it('two Authorization header lines over a real connection: the valid second one does not let an invalid first one in', async () => {
    const file = await tokensFile([CI]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    const before = h.fixture.tip();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const response = await new Promise<{ status: number; body: string; challenge: unknown }>(
      (resolve, reject) => {
        const request = httpRequest(
          { host: '127.0.0.1', port, method: 'PUT', path: lockUrl('two-lines') },
          (res) => {
            let body = '';
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body, challenge: res.headers['www-authenticate'] }),
            );
          },
        );
        request.on('error', reject);
        request.setHeader('authorization', ['Bearer not-the-token', `Bearer ${CI.token}`]);
        request.setHeader('content-type', 'application/json');
        request.end(JSON.stringify({ message: 'two lines' }));
      },
    );
    expect(response.status, response.body).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(response.challenge).toMatch(/^Bearer realm="trainyard"/);
    expectNothingWritten(h, before, 'two-lines');
  });

  it('a token removed from the file is refused at the next request, without a restart; a token added works at once', async () => {
    const file = await tokensFile([CI, DEPLOYER]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    let before = h.fixture.tip();
    expectWrittenBy(
      h,
      await putLock(h, 'rev-1', { ...bearer(CI.token), 'x-request-id': 'rev-1' }),
      before,
      'rev-1',
      CI,
    );

    // Revoke CI (the same app, no restart).
    await file.write([DEPLOYER]);
    before = h.fixture.tip();
    const revoked = await putLock(h, 'rev-2', { ...bearer(CI.token), ...AUTHOR_HEADERS });
    expectUnauthenticated(revoked, 'invalid_token');
    expectNothingWritten(h, before, 'rev-2');
    expectUnauthenticated(
      await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(CI.token) }),
      'invalid_token',
    );
    // The token that stayed still works.
    expectWrittenBy(
      h,
      await putLock(h, 'rev-3', { ...bearer(DEPLOYER.token), 'x-request-id': 'rev-3' }),
      before,
      'rev-3',
      DEPLOYER,
    );

    // A new token is valid at the next request.
    const beforeNew = h.fixture.tip();
    expectUnauthenticated(await putLock(h, 'rev-4', bearer(NEWCOMER.token)), 'invalid_token');
    expectNothingWritten(h, beforeNew, 'rev-4');
    await file.write([DEPLOYER, NEWCOMER]);
    expectWrittenBy(
      h,
      await putLock(h, 'rev-5', { ...bearer(NEWCOMER.token), ...AUTHOR_HEADERS, 'x-request-id': 'rev-5' }),
      beforeNew,
      'rev-5',
      NEWCOMER,
    );
  });

  it('a tokens file replaced by malformed YAML fails closed (every token 401) until it is fixed; a deleted file too', async () => {
    const file = await tokensFile([CI, DEPLOYER]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    const works = await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(CI.token) });
    expect(works.statusCode).toBe(200);
    const before = h.fixture.tip();

    // A syntax error, with CI's entry still readable above it.
    await file.writeText(`${tokensYaml([CI])}- name: [Deploy Bot\n  email: deploy-bot@example.com\n`);
    for (const holder of [CI, DEPLOYER]) {
      expectUnauthenticated(
        await putLock(h, 'broken', { ...bearer(holder.token), ...AUTHOR_HEADERS }),
        'invalid_token',
      );
      expectUnauthenticated(
        await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(holder.token) }),
        'invalid_token',
      );
    }
    // Valid YAML, but an entry that breaks the schema (a token instead of its hash).
    await file.writeText(
      `${tokensYaml([CI])}- name: Deploy Bot\n  email: deploy-bot@example.com\n  sha256: ${DEPLOYER.token}\n`,
    );
    expectUnauthenticated(await putLock(h, 'broken', bearer(CI.token)), 'invalid_token');
    expectUnauthenticated(await putLock(h, 'broken', bearer(DEPLOYER.token)), 'invalid_token');
    expectNothingWritten(h, before, 'broken');

    await file.write([CI, DEPLOYER]);
    expectWrittenBy(
      h,
      await putLock(h, 'fixed', { ...bearer(DEPLOYER.token), 'x-request-id': 'fixed' }),
      before,
      'fixed',
      DEPLOYER,
    );

    // The file is gone: no token is valid; back: valid again.
    await unlink(file.path);
    const beforeGone = h.fixture.tip();
    expectUnauthenticated(await putLock(h, 'gone', bearer(CI.token)), 'invalid_token');
    expectNothingWritten(h, beforeGone, 'gone');
    await file.write([CI]);
    expectWrittenBy(
      h,
      await putLock(h, 'back', { ...bearer(CI.token), 'x-request-id': 'back' }),
      beforeGone,
      'back',
      CI,
    );
  });

  it('/healthz, /readyz and /openapi.json need no token (and a bad one does not hurt them)', async () => {
    const file = await tokensFile([CI]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    for (const headers of [{}, bearer('not-a-token'), { authorization: 'Basic Zm9vOmJhcg==' }]) {
      const health = await h.app.inject({ url: '/healthz', headers });
      expect(health.statusCode, health.body).toBe(200);
      expect(health.headers['www-authenticate']).toBeUndefined();
      const ready = await h.app.inject({ url: '/readyz', headers });
      expect(ready.statusCode, ready.body).toBe(200);
      const openapi = await h.app.inject({ url: '/openapi.json', headers });
      expect(openapi.statusCode).toBe(200);
      expect(openapi.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    }
    // HEAD of a public route is public as well.
    expect((await h.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('an unknown route without a token is 401, not 404 (routes are not revealed); with a token it is a 404', async () => {
    const file = await tokensFile([CI]);
    const h = await start(SMALL, { authenticator: await tokenAuthenticator(file) });
    for (const url of [
      '/api/no-such-thing',
      '/admin',
      '/healthz/',
      '/HEALTHZ',
      '/openapi.json/../api/history',
    ]) {
      expectUnauthenticated(await h.app.inject({ url }));
    }
    expectUnauthenticated(await h.app.inject({ method: 'DELETE', url: '/api/no-such-thing' }));
    // A known path with a method it does not take: also 401 first.
    expectUnauthenticated(await h.app.inject({ method: 'POST', url: PROGNOSIS_URL }));
    const known = await h.app.inject({ url: '/api/no-such-thing', headers: bearer(CI.token) });
    expectError(known, 404, 'NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------------
// OIDC

const AUDIENCE = 'trainyard';
const PERSON = { name: 'Ada Lovelace', email: 'ada@example.com' };

interface KeyPair {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An issuer on 127.0.0.1: discovery and JWKS, counting what is asked. */
interface Issuer {
  readonly url: string;
  readonly hits: { discovery: number; jwks: number };
  /** What /jwks serves now. */
  keys: JWK[];
  /** 0: /jwks never answers. */
  jwksStatus: number;
  /** What discovery names as the issuer; default: the issuer's own URL. */
  discoveryIssuer: string | undefined;
  /** Resolves once a caller gave up on a /jwks request that was never answered. */
  readonly jwksAbandoned: Promise<void>;
  close(): Promise<void>;
  /**
   * false: every connection is cut at once, before a byte is read (the issuer cannot be reached);
   * the port stays this issuer's, so that it can come back on it.
   */
  reachable: boolean;
}

const issuers: Issuer[] = [];
afterEach(async () => {
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
});

/** `closeAfterEach`: false for an issuer a whole describe block shares. */
async function startIssuer(keys: JWK[], closeAfterEach = true): Promise<Issuer> {
  let abandoned: () => void = () => {};
  const issuer: Issuer = {
    url: '',
    hits: { discovery: 0, jwks: 0 },
    keys,
    jwksStatus: 200,
    discoveryIssuer: undefined,
    jwksAbandoned: new Promise((resolve) => {
      abandoned = resolve;
    }),
    close: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    reachable: true,
  };
  const makeServer = () =>
    createServer((request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.url === '/.well-known/openid-configuration') {
        issuer.hits.discovery++;
        reply(200, {
          issuer: issuer.discoveryIssuer ?? issuer.url,
          jwks_uri: `${issuer.url}/jwks`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        });
      } else if (request.url === '/jwks') {
        issuer.hits.jwks++;
        if (issuer.jwksStatus === 0) {
          response.on('close', abandoned);
          return;
        }
        reply(issuer.jwksStatus, issuer.jwksStatus === 200 ? { keys: issuer.keys } : { error: 'broken' });
      } else {
        reply(404, { error: 'not found' });
      }
    });
  const server: Server = makeServer();
  server.on('connection', (socket) => {
    if (!issuer.reachable) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (issuer as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (closeAfterEach) issuers.push(issuer);
  return issuer;
}

function oidcVerifier(issuer: Issuer, options: Partial<OidcOptions> = {}): OidcVerifier {
  return new OidcVerifier({
    issuer: issuer.url,
    audience: AUDIENCE,
    groupsClaim: 'groups',
    emailClaim: 'email',
    ...options,
  });
}

const now = () => Math.floor(Date.now() / 1000);

interface JwtSpec {
  readonly key: KeyPair;
  /** The header's kid; default: the key's. */
  readonly kid?: string;
  readonly issuer: string;
  readonly audience?: string;
  /** null: no exp claim. */
  readonly exp?: number | null;
  readonly nbf?: number;
  readonly claims?: Record<string, unknown>;
}

function signJwt(spec: JwtSpec): Promise<string> {
  const jwt = new SignJWT({ email: PERSON.email, name: PERSON.name, groups: ['developers'], ...spec.claims })
    .setProtectedHeader({ alg: spec.key.alg, kid: spec.kid ?? spec.key.kid, typ: 'JWT' })
    .setIssuer(spec.issuer)
    .setAudience(spec.audience ?? AUDIENCE)
    .setSubject('user-1234')
    .setIssuedAt();
  if (spec.exp !== null) jwt.setExpirationTime(spec.exp ?? now() + 300);
  if (spec.nbf !== undefined) jwt.setNotBefore(spec.nbf);
  return jwt.sign(spec.key.privateKey);
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

describe('AUTH_MODE=oidc', () => {
  let rsa: KeyPair;
  let ec: KeyPair;
  let foreign: KeyPair;
  beforeAll(async () => {
    [rsa, ec, foreign] = await Promise.all([
      keyPair('RS256', 'rsa-1'),
      keyPair('ES256', 'ec-1'),
      // Not published by the issuer; signs tokens that claim rsa-1's kid.
      keyPair('RS256', 'rsa-1'),
    ]);
  });

  async function oidcHarness(options: Partial<OidcOptions> = {}, files = SMALL) {
    const issuer = await startIssuer([rsa.jwk, ec.jwk]);
    const h = await start(files, {
      authenticator: new Authenticator(undefined, oidcVerifier(issuer, options)),
    });
    return { issuer, h };
  }

  it('a valid RS256 token writes as name <email> of its claims (the author-* headers are ignored); ES256 too; reads work', async () => {
    const { issuer, h } = await oidcHarness({}, WORLD);
    const token = await signJwt({ key: rsa, issuer: issuer.url });
    await expectBearerWrites(h, token, 'oidc-rs', PERSON);
    const grace = { name: 'Grace Hopper', email: 'grace@example.com' };
    await expectBearerWrites(
      h,
      await signJwt({ key: ec, issuer: issuer.url, claims: grace }),
      'oidc-ec',
      grace,
    );

    const read = await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(token) });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().envsPrognoses).toEqual(PROD_PROGNOSIS);
    // Discovery once, the keys once: they are cached.
    expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });
  });

  it('without a name claim the commit author is the email', async () => {
    const { issuer, h } = await oidcHarness();
    const token = await signJwt({ key: rsa, issuer: issuer.url, claims: { name: undefined } });
    await expectBearerWrites(h, token, 'no-name', { name: PERSON.email, email: PERSON.email });
  });

  it('an email with email_verified true counts', async () => {
    const { issuer, h } = await oidcHarness();
    const token = await signJwt({ key: rsa, issuer: issuer.url, claims: { email_verified: true } });
    await expectBearerWrites(h, token, 'verified', PERSON);
  });

  it('with OIDC_EMAIL_CLAIM=sub, email_verified false does not matter: the identity is not the email', async () => {
    const { issuer, h } = await oidcHarness({ emailClaim: 'sub' });
    const token = await signJwt({
      key: rsa,
      issuer: issuer.url,
      claims: { name: undefined, email_verified: false },
    });
    // signJwt's subject.
    await expectBearerWrites(h, token, 'by-subject', { name: 'user-1234', email: 'user-1234' });
  });

  it('exp and nbf are checked with 30 s of tolerance: just inside works, beyond is 401', async () => {
    const { issuer, h } = await oidcHarness();
    let before = h.fixture.tip();
    const slightlyExpired = await signJwt({ key: rsa, issuer: issuer.url, exp: now() - 10 });
    expectWrittenBy(
      h,
      await putLock(h, 'skew-exp', { ...bearer(slightlyExpired), 'x-request-id': 'skew-exp' }),
      before,
      'skew-exp',
      PERSON,
    );
    before = h.fixture.tip();
    const slightlyEarly = await signJwt({ key: rsa, issuer: issuer.url, nbf: now() + 10 });
    expectWrittenBy(
      h,
      await putLock(h, 'skew-nbf', { ...bearer(slightlyEarly), 'x-request-id': 'skew-nbf' }),
      before,
      'skew-nbf',
      PERSON,
    );

    before = h.fixture.tip();
    const expired = await signJwt({ key: rsa, issuer: issuer.url, exp: now() - 120 });
    expectUnauthenticated(
      await putLock(h, 'expired', { ...bearer(expired), ...AUTHOR_HEADERS }),
      'invalid_token',
    );
    expectNothingWritten(h, before, 'expired');
    const notYet = await signJwt({ key: rsa, issuer: issuer.url, nbf: now() + 120 });
    expectUnauthenticated(
      await putLock(h, 'not-yet', { ...bearer(notYet), ...AUTHOR_HEADERS }),
      'invalid_token',
    );
    expectNothingWritten(h, before, 'not-yet');
    const noExp = await signJwt({ key: rsa, issuer: issuer.url, exp: null });
    expectUnauthenticated(await putLock(h, 'no-exp', bearer(noExp)), 'invalid_token');
    expectNothingWritten(h, before, 'no-exp');
  });

  describe('tokens that must not verify: 401 invalid_token, nothing written', () => {
    // One issuer and app for all of them: nothing they send may change either.
    let issuer: Issuer;
    let h: Harness;
    let before: string;
    beforeAll(async () => {
      issuer = await startIssuer([rsa.jwk, ec.jwk], false);
      h = await startHarness(SMALL, { authenticator: new Authenticator(undefined, oidcVerifier(issuer)) });
      before = h.fixture.tip();
    });
    afterAll(async () => {
      await h.close();
      await issuer.close();
    });

    const cases: [string, (issuer: Issuer) => Promise<string>][] = [
      ['another issuer', () => signJwt({ key: rsa, issuer: 'http://127.0.0.1:1' })],
      ['the issuer with a trailing slash', (issuer) => signJwt({ key: rsa, issuer: `${issuer.url}/` })],
      ['another audience', (issuer) => signJwt({ key: rsa, issuer: issuer.url, audience: 'someone-else' })],
      [
        'alg none (unsigned)',
        async (issuer) => {
          const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'rsa-1' }));
          const payload = b64url(
            JSON.stringify({
              iss: issuer.url,
              aud: AUDIENCE,
              sub: 'u',
              email: 'mallory@example.com',
              exp: now() + 300,
              iat: now(),
            }),
          );
          return `${header}.${payload}.`;
        },
      ],
      [
        'alg none with a valid token’s signature',
        async (issuer) => {
          const [, payload, signature] = (await signJwt({ key: rsa, issuer: issuer.url })).split('.');
          return `${b64url(JSON.stringify({ alg: 'none', kid: 'rsa-1' }))}.${payload}.${signature}`;
        },
      ],
      [
        'HS256 with the public key’s PEM as secret',
        async (issuer) =>
          new SignJWT({ email: 'mallory@example.com' })
            .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
            .setIssuer(issuer.url)
            .setAudience(AUDIENCE)
            .setExpirationTime(now() + 300)
            .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
      ],
      [
        'HS256 with the public JWK’s JSON as secret',
        async (issuer) =>
          new SignJWT({ email: 'mallory@example.com' })
            .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
            .setIssuer(issuer.url)
            .setAudience(AUDIENCE)
            .setExpirationTime(now() + 300)
            .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk))),
      ],
      [
        'signed by a foreign key with the published kid',
        (issuer) => signJwt({ key: foreign, issuer: issuer.url }),
      ],
      [
        'a valid token with its payload swapped',
        async (issuer) => {
          const [header, , signature] = (await signJwt({ key: rsa, issuer: issuer.url })).split('.');
          const payload = b64url(
            JSON.stringify({
              iss: issuer.url,
              aud: AUDIENCE,
              email: 'mallory@example.com',
              exp: now() + 300,
            }),
          );
          return `${header}.${payload}.${signature}`;
        },
      ],
      [
        'without an email claim',
        (issuer) => signJwt({ key: rsa, issuer: issuer.url, claims: { email: undefined } }),
      ],
      [
        'with an email claim that is not a string',
        (issuer) => signJwt({ key: rsa, issuer: issuer.url, claims: { email: ['ada@example.com'] } }),
      ],
      [
        'with an email claim that would forge a commit header',
        (issuer) =>
          signJwt({
            key: rsa,
            issuer: issuer.url,
            claims: { email: 'a@example.com>\nCommitter: Evil <e@x' },
          }),
      ],
      [
        'with an email claim holding a bidirectional control',
        (issuer) => signJwt({ key: rsa, issuer: issuer.url, claims: { email: 'moc.elpmaxe@\u202eada' } }),
      ],
      [
        'with email_verified false',
        (issuer) => signJwt({ key: rsa, issuer: issuer.url, claims: { email_verified: false } }),
      ],
      [
        'with email_verified "false" (a string, as some issuers send it)',
        (issuer) => signJwt({ key: rsa, issuer: issuer.url, claims: { email_verified: 'false' } }),
      ],
      ['RS256 claiming the ES256 kid', (issuer) => signJwt({ key: rsa, kid: 'ec-1', issuer: issuer.url })],
      ['not a JWT at all', async () => 'just-an-opaque-token'],
    ];
    it.each(cases)('%s', async (_label, makeToken) => {
      const token = await makeToken(issuer);
      expectUnauthenticated(
        await putLock(h, 'forged', { ...bearer(token), ...AUTHOR_HEADERS }),
        'invalid_token',
      );
      expectNothingWritten(h, before, 'forged');
      expectUnauthenticated(
        await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(token) }),
        'invalid_token',
      );
      // Still a working verifier afterwards.
      const valid = await h.app.inject({
        url: PROGNOSIS_URL,
        headers: bearer(await signJwt({ key: rsa, issuer: issuer.url })),
      });
      expect(valid.statusCode, valid.body).toBe(200);
    });

    it('none of them made the service fetch the keys again', () => {
      expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });
    });
  });

  it('a storm of tokens with unknown kids: every one 401, and the keys are fetched at most twice in all', async () => {
    const { issuer, h } = await oidcHarness();
    const before = h.fixture.tip();
    const valid = await h.app.inject({
      url: PROGNOSIS_URL,
      headers: bearer(await signJwt({ key: rsa, issuer: issuer.url })),
    });
    expect(valid.statusCode).toBe(200);

    const tokens = await Promise.all(
      Array.from({ length: 50 }, () =>
        signJwt({ key: foreign, kid: randomBytes(8).toString('hex'), issuer: issuer.url }),
      ),
    );
    const responses = await Promise.all(
      tokens.map((token, index) => putLock(h, `storm-${index}`, { ...bearer(token), ...AUTHOR_HEADERS })),
    );
    for (const response of responses) expectUnauthenticated(response, 'invalid_token');
    // And one after another as well.
    for (const token of tokens.slice(0, 10)) {
      expectUnauthenticated(
        await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(token) }),
        'invalid_token',
      );
    }
    expect(h.fixture.tip()).toBe(before);
    expect(issuer.hits.discovery).toBe(1);
    expect(issuer.hits.jwks).toBeGreaterThanOrEqual(1);
    expect(issuer.hits.jwks).toBeLessThanOrEqual(2);
    // The valid key still works.
    const after = await h.app.inject({
      url: PROGNOSIS_URL,
      headers: bearer(await signJwt({ key: rsa, issuer: issuer.url })),
    });
    expect(after.statusCode).toBe(200);
  });

  it('a key rotated in with a new kid is picked up once the cooldown has passed', async () => {
    const { issuer, h } = await oidcHarness({ keyRefreshCooldownMs: 200 });
    // The cooldown is measured with Date.now(): a clock that moves only when told, not a wait.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const first = await h.app.inject({
      url: PROGNOSIS_URL,
      headers: bearer(await signJwt({ key: rsa, issuer: issuer.url })),
    });
    expect(first.statusCode).toBe(200);
    expect(issuer.hits.jwks).toBe(1);

    const rotated = await keyPair('RS256', 'rsa-2');
    issuer.keys = [rsa.jwk, ec.jwk, rotated.jwk];
    vi.setSystemTime(Date.now() + 250);
    const rita = { name: 'Rita Rotated', email: 'rita@example.com' };
    await expectBearerWrites(
      h,
      await signJwt({ key: rotated, issuer: issuer.url, claims: rita }),
      'rotated',
      rita,
    );
    expect(issuer.hits.jwks).toBe(2);
    expect(issuer.hits.discovery).toBe(1);
  });

  it('an issuer that cannot be reached: 503 AUTH_UNAVAILABLE with Retry-After, nothing written; it works once the issuer is back', async () => {
    const { issuer, h } = await oidcHarness({ discoveryRetryMs: 200 });
    // The retry pause is measured with Date.now(): a clock that moves only when told, not a wait.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    issuer.reachable = false;
    const before = h.fixture.tip();
    const token = await signJwt({ key: rsa, issuer: issuer.url });
    const response = await putLock(h, 'down', { ...bearer(token), ...AUTHOR_HEADERS });
    expectError(response, 503, 'AUTH_UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('5');
    expectNothingWritten(h, before, 'down');
    expectError(await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(token) }), 503, 'AUTH_UNAVAILABLE');
    // The probes do not depend on the issuer.
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    issuer.reachable = true;
    // Within the retry pause the failure is answered from memory, without asking the issuer.
    const discoveriesBefore = issuer.hits.discovery;
    expectError(await h.app.inject({ url: PROGNOSIS_URL, headers: bearer(token) }), 503, 'AUTH_UNAVAILABLE');
    expect(issuer.hits.discovery).toBe(discoveriesBefore);
    vi.setSystemTime(Date.now() + 250);
    expectWrittenBy(
      h,
      await putLock(h, 'up', { ...bearer(token), 'x-request-id': 'up' }),
      before,
      'up',
      PERSON,
    );
  });

  it('a JWKS endpoint that fails: 503 AUTH_UNAVAILABLE, not 401', async () => {
    const { issuer, h } = await oidcHarness();
    issuer.jwksStatus = 500;
    const before = h.fixture.tip();
    const response = await putLock(h, 'jwks-down', {
      ...bearer(await signJwt({ key: rsa, issuer: issuer.url })),
      ...AUTHOR_HEADERS,
    });
    expectError(response, 503, 'AUTH_UNAVAILABLE');
    expectNothingWritten(h, before, 'jwks-down');
  });

  it('a JWKS endpoint that never answers: 503 AUTH_UNAVAILABLE after the fetch timeout', async () => {
    const { issuer, h } = await oidcHarness({ fetchTimeoutMs: 300 });
    issuer.jwksStatus = 0;
    const before = h.fixture.tip();
    const response = await putLock(h, 'jwks-hangs', bearer(await signJwt({ key: rsa, issuer: issuer.url })));
    expectError(response, 503, 'AUTH_UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('5');
    // The service gave up on the request itself (its timeout), the issuer never answered.
    await issuer.jwksAbandoned;
    expect(issuer.hits.jwks).toBe(1);
    expectNothingWritten(h, before, 'jwks-hangs');
  });

  it('a discovery document that names another issuer is not trusted: 503, nothing written', async () => {
    const { issuer, h } = await oidcHarness();
    issuer.discoveryIssuer = 'https://evil.example.com';
    const before = h.fixture.tip();
    const response = await putLock(h, 'mixup', bearer(await signJwt({ key: rsa, issuer: issuer.url })));
    expectError(response, 503, 'AUTH_UNAVAILABLE');
    expectNothingWritten(h, before, 'mixup');
    expect(issuer.hits.jwks).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// token,oidc

describe('AUTH_MODE=token,oidc', () => {
  let rsa: KeyPair;
  beforeAll(async () => {
    rsa = await keyPair('RS256', 'rsa-1');
  });

  async function combinedHarness() {
    const issuer = await startIssuer([rsa.jwk]);
    const file = await tokensFile([CI]);
    const store = new TokenStore(file.path);
    await store.load();
    const h = await start(SMALL, { authenticator: new Authenticator(store, oidcVerifier(issuer)) });
    return { issuer, h };
  }

  it('a JWT is verified by OIDC and an opaque token by the tokens file; both write as their identity', async () => {
    const { issuer, h } = await combinedHarness();
    let before = h.fixture.tip();
    const jwt = await signJwt({ key: rsa, issuer: issuer.url });
    expectWrittenBy(
      h,
      await putLock(h, 'both-jwt', { ...bearer(jwt), ...AUTHOR_HEADERS, 'x-request-id': 'both-jwt' }),
      before,
      'both-jwt',
      PERSON,
    );
    before = h.fixture.tip();
    expectWrittenBy(
      h,
      await putLock(h, 'both-ci', { ...bearer(CI.token), ...AUTHOR_HEADERS, 'x-request-id': 'both-ci' }),
      before,
      'both-ci',
      CI,
    );
  });

  it('an opaque token not in the file, and a forged JWT, are 401; nothing written', async () => {
    const { issuer, h } = await combinedHarness();
    const before = h.fixture.tip();
    expectUnauthenticated(
      await putLock(h, 'x1', { ...bearer(DEPLOYER.token), ...AUTHOR_HEADERS }),
      'invalid_token',
    );
    expectUnauthenticated(await putLock(h, 'x2', bearer(sha256(CI.token))), 'invalid_token');
    const foreign = await keyPair('RS256', 'rsa-1');
    expectUnauthenticated(
      await putLock(h, 'x3', bearer(await signJwt({ key: foreign, issuer: issuer.url }))),
      'invalid_token',
    );
    expectUnauthenticated(await putLock(h, 'x4', {}));
    expect(h.fixture.tip()).toBe(before);
  });

  it('tokens from the file keep working while the issuer is down; JWTs get 503', async () => {
    const { issuer, h } = await combinedHarness();
    await issuer.close();
    const before = h.fixture.tip();
    expectError(
      await putLock(h, 'jwt-down', bearer(await signJwt({ key: rsa, issuer: issuer.url }))),
      503,
      'AUTH_UNAVAILABLE',
    );
    expectNothingWritten(h, before, 'jwt-down');
    expectWrittenBy(
      h,
      await putLock(h, 'ci-up', { ...bearer(CI.token), 'x-request-id': 'ci-up' }),
      before,
      'ci-up',
      CI,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The process: what start-up refuses

describe('server process with authentication', () => {
  it('AUTH_MODE=token with a malformed AUTH_TOKENS_FILE exits 1 naming the variable and the line', async () => {
    const cwd = await tempDir();
    const path = join(cwd, 'tokens.yaml');
    // The third entry (line 11: two entries of five lines each before it) has no sha256.
    await writeFile(path, `${tokensYaml([CI, DEPLOYER])}- name: Third\n  email: third@example.com\n`);
    const server = startService(cwd, { AUTH_MODE: 'token', AUTH_TOKENS_FILE: path });
    expect(await server.exited).toBe(1);
    const { stderr } = server.output();
    expect(stderr).toContain('AUTH_TOKENS_FILE');
    expect(stderr).toContain('line 11');
    expect(stderr).toContain('sha256');
  });

  it('AUTH_MODE=token without AUTH_TOKENS_FILE, or with one that does not exist, exits 1 naming it; AUTH_MODE=oidc without OIDC_ISSUER (or OIDC_AUDIENCE) exits 1 naming it', async () => {
    const cwd = await tempDir();
    const noFile = startService(cwd, { AUTH_MODE: 'token' });
    const missing = startService(cwd, { AUTH_MODE: 'token', AUTH_TOKENS_FILE: join(cwd, 'nope.yaml') });
    const noIssuer = startService(cwd, { AUTH_MODE: 'oidc', OIDC_AUDIENCE: AUDIENCE });
    const noAudience = startService(cwd, {
      AUTH_MODE: 'token,oidc',
      AUTH_TOKENS_FILE: join(cwd, 'nope.yaml'),
      OIDC_ISSUER: 'http://127.0.0.1:1',
    });
    expect(await noFile.exited).toBe(1);
    expect(noFile.output().stderr).toContain('AUTH_TOKENS_FILE');
    expect(await missing.exited).toBe(1);
    expect(missing.output().stderr).toContain('AUTH_TOKENS_FILE');
    expect(missing.output().stderr).toContain('nope.yaml');
    expect(await noIssuer.exited).toBe(1);
    expect(noIssuer.output().stderr).toContain('OIDC_ISSUER');
    expect(await noAudience.exited).toBe(1);
    expect(noAudience.output().stderr).toContain('OIDC_AUDIENCE');
  });

  it('AUTH_MODE=oidc without RBAC_POLICY_FILE exits 1 naming it and OIDC_ALLOW_ANY_IDENTITY; with OIDC_ALLOW_ANY_IDENTITY=true it starts, and warns', async () => {
    const cwd = await tempDir();
    const oidc = {
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: 'https://token.actions.githubusercontent.com',
      OIDC_AUDIENCE: AUDIENCE,
    };
    const refused = startService(cwd, oidc);
    const plainHttp = startService(cwd, {
      ...oidc,
      OIDC_ALLOW_ANY_IDENTITY: 'true',
      OIDC_JWKS_URL: 'http://keys.example.com/jwks',
    });
    const allowed = startService(cwd, { ...oidc, OIDC_ALLOW_ANY_IDENTITY: 'true' });
    expect(await refused.exited).toBe(1);
    expect(refused.output().stderr).toContain('RBAC_POLICY_FILE');
    expect(refused.output().stderr).toContain('OIDC_ALLOW_ANY_IDENTITY=true');
    expect(await plainHttp.exited).toBe(1);
    expect(plainHttp.output().stderr).toContain('OIDC_JWKS_URL');
    await allowed.listening;
    expect(allowed.output().stdout).toContain('every identity the issuer vouches for may write');
  });

  it('AUTH_MODE=token listens on 0.0.0.0 without AUTH_ALLOW_UNAUTHENTICATED, and asks for the token', async () => {
    const cwd = await tempDir();
    const path = join(cwd, 'tokens.yaml');
    await writeFile(path, tokensYaml([CI]));
    const server = startService(cwd, { AUTH_MODE: 'token', AUTH_TOKENS_FILE: path, HOST: '0.0.0.0' });
    const url = await server.listening;
    const port = new URL(url).port;
    const base = `http://127.0.0.1:${port}`;
    expect(server.output().stdout).not.toContain('AUTH_MODE=none');
    const anonymous = await fetch(`${base}${PROGNOSIS_URL}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="trainyard"');
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const withToken = await fetch(`${base}${PROGNOSIS_URL}`, { headers: bearer(CI.token) });
    expect(withToken.status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    server.child.kill('SIGKILL');
  });
});
